using System.Net;
using System.Text.Json;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Admin;

public sealed class AdminEndpointTests
{
    [Fact]
    public async Task HealthAndReadinessFollowConfigState()
    {
        await using var proxy = await ProxyHarness.StartAsync();

        using var health = await proxy.AdminClient.GetAsync("/healthz");
        using var notReady = await proxy.AdminClient.GetAsync("/readyz");
        proxy.Server.ApplyConfig(CatchAll(Backend("a")));
        using var ready = await proxy.AdminClient.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task ConfigDescribesTheLoadedTable()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        using var before = JsonDocument.Parse(await proxy.AdminClient.GetStringAsync("/config"));
        proxy.Server.ApplyConfig(Of(
            [Host("a.example.com", Prefix("/", "a"), Exact("/x", "a")), Host("*.example.com", Prefix("/", "b"))],
            [Backend("a", new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80)), Backend("b")],
            defaultBackend: "b",
            generation: 42));
        proxy.Server.State.RecordRejection("crc", "slot A crc mismatch");

        using var after = JsonDocument.Parse(await proxy.AdminClient.GetStringAsync("/config"));
        var root = after.RootElement;

        Assert.False(before.RootElement.GetProperty("ready").GetBoolean());
        Assert.True(root.GetProperty("ready").GetBoolean());
        Assert.Equal(42, root.GetProperty("generation").GetInt64());
        Assert.Equal(Gatehouse.Model.SchemaVersion.Current.ToString(), root.GetProperty("schema").GetString());
        Assert.Equal(Guid.Empty, root.GetProperty("instanceId").GetGuid());
        Assert.True(root.GetProperty("loadedAt").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        Assert.Equal(2, root.GetProperty("hosts").GetInt32());
        Assert.Equal(3, root.GetProperty("routes").GetInt32());
        Assert.Equal(2, root.GetProperty("backends").GetInt32());
        Assert.Equal(2, root.GetProperty("endpoints").GetInt32());
        Assert.Equal("crc", root.GetProperty("lastRejection").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AdminAndTrafficAreSeparateListeners()
    {
        await using var proxy = await ProxyHarness.StartAsync(Of([Host("app.example.com", Prefix("/", "a"))], [Backend("a")]));

        // /healthz on the traffic port is just another request: no route for it.
        using var onTraffic = await proxy.Client.GetAsync("/healthz");
        using var unknownAdminPath = await proxy.AdminClient.GetAsync("/anything");

        Assert.NotEqual(proxy.Server.HttpPort, proxy.Server.AdminPort);
        Assert.Equal(HttpStatusCode.NotFound, onTraffic.StatusCode);
        Assert.Contains("no route", await onTraffic.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownAdminPath.StatusCode);
    }
}
