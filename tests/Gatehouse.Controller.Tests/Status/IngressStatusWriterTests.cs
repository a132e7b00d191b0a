using Gatehouse.Controller;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Status;
using Gatehouse.Controller.Translation;
using Gatehouse.Tests.FakeApiServer;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests.Status;

/// <summary>The leader's Ingress status, written through the fake API and read back through the source's watch, as in the controller.</summary>
public sealed class IngressStatusWriterTests : IAsyncLifetime
{
    private static readonly ControllerOptions Options = new() { Kubeconfig = "/k", ChannelPath = "/c" };

    private FakeKubernetesApiServer _server = null!;
    private KubernetesApiClient _client = null!;
    private KubernetesResourceSource _source = null!;
    private volatile bool _leader;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
        _source = new KubernetesResourceSource(_client, "fake", null, new InformerOptions(), NullLoggerFactory.Instance);
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task TheLeaderSetsServedIngressesClearsThoseItStopsServingAndLeavesOthersAlone()
    {
        _server.Apply(KubeObjects.IngressClass("gatehouse"));
        _server.Apply(Ingress("shop", "gatehouse"));
        var foreign = Ingress("foreign", "nginx");
        foreign.Status = new IngressStatus { LoadBalancer = new IngressLoadBalancerStatus { Ingress = [new IngressLoadBalancerIngress { Ip = "198.51.100.7" }] } };
        _server.Apply(foreign);

        await using var writer = new IngressStatusWriter(_client, () => _leader, PublishAddresses.Fixed(["192.0.2.10", "lb.example.com"]), NullLogger<IngressStatusWriter>.Instance);
        _source.Changed += (_, snapshot) => writer.Observe(snapshot, ServedIngresses.Of(snapshot, Options));
        writer.Start();
        await _source.StartAsync(CancellationToken.None);

        // A follower writes nothing, however often it observes.
        writer.Observe(_source.Current, ServedIngresses.Of(_source.Current, Options));
        _server.Apply(KubeObjects.Service("web", "unrelated"));
        await WaitUntil(() => _source.Current.Services.Count == 1);
        Assert.Empty(_server.Writes);

        // Leadership: the served Ingress gets both addresses, IP and host name; the foreign one is untouched.
        _leader = true;
        writer.Observe(_source.Current, ServedIngresses.Of(_source.Current, Options));
        await _server.WaitUntilAsync(() => Addresses("shop") == "192.0.2.10,lb.example.com");
        Assert.Equal("198.51.100.7", Addresses("foreign"));

        // Once the write came back through the watch, more passes write nothing more.
        await WaitUntil(() => _source.Current.Ingresses["web/shop"].Status?.LoadBalancer?.Ingress?.Count == 2);
        var writes = _server.Writes.Count;
        _server.Apply(KubeObjects.Service("web", "another"));
        await WaitUntil(() => _source.Current.Services.Count == 2);
        writer.Observe(_source.Current, ServedIngresses.Of(_source.Current, Options));
        Assert.Equal(1, writes);

        // The Ingress moves to another class: we stop serving it and clear what we wrote.
        var moved = _server.Get<Ingress>(Ingresses, "web", "shop")!;
        moved.Spec!.IngressClassName = "nginx";
        _server.Apply(moved);
        await _server.WaitUntilAsync(() => Addresses("shop") == "");
        Assert.Equal("198.51.100.7", Addresses("foreign"));
        Assert.All(_server.Writes, w => Assert.Equal(("PATCH", "application/merge-patch+json"), (w.Method, w.ContentType)));
        Assert.All(_server.Writes, w => Assert.EndsWith("/namespaces/web/ingresses/shop/status", w.Path, StringComparison.Ordinal));
        Assert.Equal(2, _server.Writes.Count);
        _server.AssertRequestsWithinDeclaredCalls();
    }

    [Fact]
    public async Task PublishServiceAddressesFollowTheServiceLoadBalancer()
    {
        _server.Apply(KubeObjects.IngressClass("gatehouse"));
        _server.Apply(Ingress("shop", "gatehouse"));
        var service = KubeObjects.Service("gatehouse", "gatehouse");
        _server.Apply(service);
        _leader = true;

        var addresses = PublishAddresses.FromService(_client, "gatehouse", "gatehouse", new InformerOptions(), NullLogger.Instance);
        await using var writer = new IngressStatusWriter(_client, () => _leader, addresses, NullLogger<IngressStatusWriter>.Instance);
        _source.Changed += (_, snapshot) => writer.Observe(snapshot, ServedIngresses.Of(snapshot, Options));
        writer.Start();
        await _source.StartAsync(CancellationToken.None);

        // The cloud assigns an address later: it reaches the Ingress.
        service.Status = new ServiceStatus { LoadBalancer = new IngressLoadBalancerStatus { Ingress = [new IngressLoadBalancerIngress { Ip = "203.0.113.5" }] } };
        _server.Apply(service);
        await _server.WaitUntilAsync(() => Addresses("shop") == "203.0.113.5");

        service.Status.LoadBalancer.Ingress = [new IngressLoadBalancerIngress { Hostname = "a1.elb.example.com" }];
        _server.Apply(service);
        await _server.WaitUntilAsync(() => Addresses("shop") == "a1.elb.example.com");
        Assert.Contains(_server.Requests, r => r.Watch && r.Path == "/api/v1/namespaces/gatehouse/services");
        _server.AssertRequestsWithinDeclaredCalls();
    }

    /// <summary>Client-side state has no server request to re-check on; poll it with a deadline.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }

    private static Ingress Ingress(string name, string className)
    {
        var ingress = KubeObjects.Ingress("web", name, host: $"{name}.test");
        ingress.Spec!.IngressClassName = className;
        return ingress;
    }

    private string Addresses(string name)
        => string.Join(",", _server.Get<Ingress>(Ingresses, "web", name)?.Status?.LoadBalancer?.Ingress?.Select(a => a.Ip ?? a.Hostname) ?? []);
}
