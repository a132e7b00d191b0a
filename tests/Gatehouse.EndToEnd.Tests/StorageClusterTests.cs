using System.Net;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// --ingress-storage-kubeconfig: Ingress, IngressClass and Secret come from the storage cluster,
/// Service and EndpointSlice from the runtime cluster (--kubeconfig); each cluster is asked only for its kinds.
/// </summary>
public sealed class StorageClusterTests : IAsyncLifetime
{
    private GatehouseStack _stack = null!;
    private FakeKubernetesApiServer _storage = null!;
    private FakeKubernetesApiServer _runtime = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        _storage = await FakeKubernetesApiServer.StartAsync();
        _runtime = await FakeKubernetesApiServer.StartAsync();
        await _stack.StartEchoAsync("echo-a", "echo-b");

        _storage.Apply(Manifests.IngressClass);
        _storage.Apply(Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-a")));
        _runtime.Apply(Manifests.Service("svc-a", _stack.EchoPort("echo-a")));

        // Decoys: an Ingress in the runtime cluster and a Service in the storage cluster are not read.
        _runtime.Apply(Manifests.IngressClass);
        _runtime.Apply(Manifests.Ingress("decoy", "decoy.example.com", ("/", "Prefix", "svc-a")));
        _storage.Apply(Manifests.Service("svc-b", _stack.EchoPort("echo-b")));
        _storage.Apply(Manifests.Ingress("uses-storage-service", "b.example.com", ("/", "Prefix", "svc-b")));

        await _stack.StartControllerAsync(source:
        [
            "--kubeconfig", _runtime.WriteKubeconfig(_stack.Directory, "runtime", "runtime-token"),
            "--ingress-storage-kubeconfig", _storage.WriteKubeconfig(_stack.Directory, "storage", "storage-token"),
        ]);
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        await _storage.DisposeAsync();
        await _runtime.DisposeAsync();
    }

    [Fact]
    public async Task Ingresses_come_from_the_storage_cluster_and_services_from_the_runtime_cluster()
    {
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/")));
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync("decoy.example.com", "/")).Status);
        Assert.Null((await _stack.SendAsync("b.example.com", "/")).Backend);

        // Endpoints change in the runtime cluster: followed.
        var before = await _stack.ProxyGenerationAsync();
        _runtime.Apply(Manifests.Service("svc-a", _stack.EchoPort("echo-b")));
        await _stack.WaitForGenerationAfterAsync(before);
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/")));

        Assert.Equal(
            ["/api/v1/secrets", "/apis/networking.k8s.io/v1/ingressclasses", "/apis/networking.k8s.io/v1/ingresses"],
            ReadCollections(_storage));
        Assert.Equal(["/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices"], ReadCollections(_runtime));
        Assert.All(_storage.Requests, r => Assert.Equal("Bearer storage-token", r.Authorization));

        // Events about Ingresses go to the cluster the Ingress lives in.
        await _storage.WaitUntilAsync(() => _storage.EventsAbout("default", "web").Count > 0);
        Assert.DoesNotContain(_runtime.Writes, w => w.Path.Contains("/events", StringComparison.Ordinal));
    }

    private static List<string> ReadCollections(FakeKubernetesApiServer api)
        => [.. api.Requests.Where(r => r.Method == "GET" && !r.Path.Contains("/leases", StringComparison.Ordinal)).Select(r => r.Path).Distinct().Order(StringComparer.Ordinal)];

    private static (HttpStatusCode, string?) Pick((HttpStatusCode Status, string? Backend, string Body) response)
        => (response.Status, response.Backend);
}
