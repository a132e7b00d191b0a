using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// The API server goes away mid-run: the controller keeps retrying and says so on /readyz and in its
/// log, the proxy keeps serving the last published config, and everything recovers when the API server
/// is back (same address, same data, as after an API server restart).
/// </summary>
public sealed class ApiServerOutageTests : IAsyncLifetime
{
    private GatehouseStack _stack = null!;
    private FakeKubernetesApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        _api = await FakeKubernetesApiServer.StartAsync();
        await _stack.StartEchoAsync("echo-a", "echo-b");
        _api.Apply(Manifests.IngressClass);
        _api.Apply(Manifests.Service("svc-a", _stack.EchoPort("echo-a")));
        _api.Apply(Manifests.Service("svc-b", _stack.EchoPort("echo-b")));
        _api.Apply(Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-a")));
        await _stack.StartControllerAsync(source: ["--kubeconfig", _api.WriteKubeconfig(_stack.Directory, "kubeconfig", "t")]);
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Proxy_keeps_serving_while_the_api_server_is_down_and_the_controller_recovers()
    {
        Assert.Equal("echo-a", (await _stack.SendAsync("demo.example.com", "/")).Backend);
        var port = _api.BaseAddress.Port;
        var store = _api.Store;

        await _api.DisposeAsync();

        // Not ready, naming the source and what fails; the log says it retries.
        string readiness = "";
        await _stack.WaitUntilAsync(async () =>
        {
            using var response = await _stack.Client.GetAsync($"http://127.0.0.1:{_stack.ControllerAdminPort}/readyz");
            readiness = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "controller not ready while the API server is down", _stack.Controller);
        Assert.Contains($"kubernetes:127.0.0.1:{port}", readiness, StringComparison.Ordinal);
        await _stack.Controller!.WaitForLineAsync(l => l.Contains("failed", StringComparison.Ordinal) && l.Contains("retrying", StringComparison.Ordinal),
            GatehouseStack.Patience, "a retry log line");

        // The data plane does not care.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/")));
        }

        Assert.Equal(HttpStatusCode.OK, await _stack.AdminStatusAsync(_stack.ProxyAdminPort, "/readyz"));

        // Changes made while the controller could not see them arrive once the API server is back.
        _api.Apply(Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-b")));
        var before = await _stack.ProxyGenerationAsync();
        _api = await FakeKubernetesApiServer.StartAsync(port: port, store: store);

        await _stack.WaitForGenerationAfterAsync(before);
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/")));
        try
        {
            await _stack.WaitUntilAsync(async () =>
            {
                using var response = await _stack.Client.GetAsync($"http://127.0.0.1:{_stack.ControllerAdminPort}/readyz");
                readiness = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK;
            }, "controller ready again", _stack.Controller);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nlast /readyz answer: {readiness}", ex);
        }
        Assert.False(_stack.Controller!.HasExited);
    }

    private static (HttpStatusCode, string?) Pick((HttpStatusCode Status, string? Backend, string Body) response)
        => (response.Status, response.Backend);
}
