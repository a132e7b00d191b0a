using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd.Canary;

/// <summary>
/// One controller, one proxy and four named echo backends for all canary scenarios; each scenario
/// has its own host, so they do not interfere and the processes start once.
/// </summary>
public sealed class CanaryStackFixture : IAsyncLifetime
{
    public const string Main = "echo-main";
    public const string CanaryA = "echo-canary";
    public const string CanaryB = "echo-c2";
    public const string CanaryC = "echo-c3";

    internal GatehouseStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Stack = GatehouseStack.Create();
        await Stack.StartEchoAsync(Main, CanaryA, CanaryB, CanaryC);
        Stack.WriteManifest("class.yaml", Manifests.IngressClass);
        Stack.WriteManifest("services.yaml", string.Join("\n---\n",
            Manifests.Service("svc-main", Stack.EchoPort(Main)),
            Manifests.Service("svc-canary", Stack.EchoPort(CanaryA)),
            Manifests.Service("svc-c2", Stack.EchoPort(CanaryB)),
            Manifests.Service("svc-c3", Stack.EchoPort(CanaryC)),
            Manifests.Service("svc-pair", Stack.EchoPort(CanaryB), Stack.EchoPort(CanaryC)),
            Manifests.Service("svc-deadpair", ClosedPort(), Stack.EchoPort(Main))));
        Stack.WriteManifest("ingresses.yaml", string.Join("\n---\n", CanaryScenarios.All()));
        await Stack.StartControllerAsync();
        await Stack.StartProxyAsync();
    }

    public async Task DisposeAsync() => await Stack.DisposeAsync();

    /// <summary>A loopback port nothing listens on (below the ephemeral range, so nothing will): connects are refused.</summary>
    private static int ClosedPort() => FreePort.Next();

    /// <summary>Sends GET host/path with extra headers; returns status, echo name, body and the response.</summary>
    internal async Task<(HttpStatusCode Status, string? Backend, string Body, HttpResponseMessage Response)> SendAsync(
        string host, string path, params (string Name, string Value)[] headers)
    {
        var request = Stack.Request(host, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await Stack.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var backend = response.Headers.TryGetValues("X-Echo-Name", out var names) ? names.First() : null;
        return (response.StatusCode, backend, body, response);
    }

    internal async Task<string?> BackendAsync(string host, string path, params (string Name, string Value)[] headers)
    {
        var (status, backend, _, response) = await SendAsync(host, path, headers);
        response.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        return backend;
    }

    /// <summary>How many of <paramref name="count"/> requests each backend answered.</summary>
    internal async Task<Dictionary<string, int>> DistributionAsync(string host, int count, params (string Name, string Value)[] headers)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var backend = await BackendAsync(host, "/", headers) ?? "none";
            counts[backend] = counts.GetValueOrDefault(backend) + 1;
        }

        return counts;
    }
}
