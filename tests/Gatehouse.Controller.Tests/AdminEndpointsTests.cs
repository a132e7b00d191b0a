using System.Net;
using System.Text.Json;
using Gatehouse.Controller.Admin;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Translation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests;

public sealed class AdminEndpointsTests
{
    [Fact]
    public async Task HealthReadinessAndConfigReflectControllerState()
    {
        var state = new ControllerState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(state);
        await using var app = builder.Build();
        app.MapAdminEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        Assert.Equal("ok", await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));

        using (var notReady = await client.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("waiting for sources", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        state.Update(s => s with
        {
            Synced = true,
            PublishAttempted = true,
            Generation = 4,
            Hosts = 2,
            Routes = 5,
            Backends = 3,
            Rejections = [new Diagnostic("Ingress", "shop", "web", "bad host")],
        });

        using (var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using var config = JsonDocument.Parse(await client.GetStringAsync(new Uri("/config", UriKind.Relative)));
        var root = config.RootElement;
        Assert.Equal(4, root.GetProperty("generation").GetInt64());
        Assert.Equal((2, 5, 3), (root.GetProperty("hosts").GetInt32(), root.GetProperty("routes").GetInt32(), root.GetProperty("backends").GetInt32()));
        var rejection = Assert.Single(root.GetProperty("rejections").EnumerateArray().ToList());
        Assert.Equal("bad host", rejection.GetProperty("reason").GetString());
        Assert.Equal("shop", rejection.GetProperty("namespace").GetString());

        await app.StopAsync();
    }
}
