using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// The whole path with the API server as the source: objects created through the (fake) Kubernetes
/// API → controller started with --kubeconfig → channel → proxy → echo backends.
/// </summary>
public sealed class KubernetesApiSourceTests : IAsyncLifetime
{
    private const string Token = "e2e-token";

    private GatehouseStack _stack = null!;
    private FakeKubernetesApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        _api = await FakeKubernetesApiServer.StartAsync();
        _api.Token = Token;
        await _stack.StartEchoAsync("echo-a", "echo-b");
        Apply(Manifests.IngressClass);
        Apply(Manifests.Service("svc-a", _stack.EchoPort("echo-a")));
        Apply(Manifests.Service("svc-b", _stack.EchoPort("echo-b")));
        Apply(Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-a")));

        var kubeconfig = _api.WriteKubeconfig(_stack.Directory, "kubeconfig", Token);
        await _stack.StartControllerAsync(source: ["--kubeconfig", kubeconfig, "--watch-namespace", "default"]);
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Ingresses_created_and_changed_through_the_api_route_traffic()
    {
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/")));

        // A change through the API reaches the proxy over the controller's watch.
        var before = await _stack.ProxyGenerationAsync();
        Apply(Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-a"), ("/api", "Prefix", "svc-b")));
        await _stack.WaitForGenerationAfterAsync(before);
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/api/items")));
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/")));

        // A cut watch is resumed: a later deletion still arrives.
        _api.CutWatches();
        before = await _stack.ProxyGenerationAsync();
        Assert.True(_api.Store.Delete("/apis/networking.k8s.io/v1/ingresses", "default", "web"));
        await _stack.WaitForGenerationAfterAsync(before);
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync("demo.example.com", "/")).Status);
    }

    private static (HttpStatusCode, string?) Pick((HttpStatusCode Status, string? Backend, string Body) response)
        => (response.Status, response.Backend);

    private void Apply(string yaml) => _api.Apply(yaml);
}
