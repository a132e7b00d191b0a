using System.Net;
using System.Text.Json.Nodes;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests;

/// <summary>Get, create, replace and merge patch of the thin client against the fake API server.</summary>
public sealed class KubernetesApiWriteTests : IAsyncLifetime
{
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/gatehouse/leases/lock";
    private const string LeaseCollection = "/apis/coordination.k8s.io/v1/namespaces/gatehouse/leases";

    private FakeKubernetesApiServer _server = null!;
    private KubernetesApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task CreateGetAndReplaceWithAStaleResourceVersionConflicts()
    {
        Assert.Null(await _client.GetAsync<Lease>(LeasePath, CancellationToken.None));

        var created = await _client.CreateAsync(LeaseCollection, NewLease("a"), CancellationToken.None);
        var again = await Assert.ThrowsAsync<KubernetesApiException>(() => _client.CreateAsync(LeaseCollection, NewLease("b"), CancellationToken.None));
        Assert.True(again.IsConflict);

        var read = await _client.GetAsync<Lease>(LeasePath, CancellationToken.None);
        Assert.Equal("a", read!.Spec!.HolderIdentity);
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);

        // Two writers read the same version; the first write wins, the second is refused.
        var stale = await _client.GetAsync<Lease>(LeasePath, CancellationToken.None);
        read.Spec.HolderIdentity = "b";
        var replaced = await _client.ReplaceAsync(LeasePath, read, CancellationToken.None);
        stale!.Spec!.HolderIdentity = "c";
        var conflict = await Assert.ThrowsAsync<KubernetesApiException>(() => _client.ReplaceAsync(LeasePath, stale, CancellationToken.None));

        Assert.True(conflict.IsConflict);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.NotEqual(created.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);
        Assert.Equal("b", (await _client.GetAsync<Lease>(LeasePath, CancellationToken.None))!.Spec!.HolderIdentity);
        Assert.Contains(_server.Writes, w => w.Method == "PUT" && w.Path == LeasePath && w.ContentType == "application/json");
    }

    [Fact]
    public async Task MergePatchOfTheStatusSubresourceChangesOnlyTheStatus()
    {
        var ingress = KubeObjects.Ingress("web", "shop");
        _server.Apply(ingress);
        var path = "/apis/networking.k8s.io/v1/namespaces/web/ingresses/shop/status";
        var patch = JsonNode.Parse("""{"spec":{"ingressClassName":"evil"},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}""")!.AsObject();

        var patched = await _client.PatchAsync<Ingress>(path, patch, CancellationToken.None);

        Assert.Equal("192.0.2.1", patched.Status!.LoadBalancer!.Ingress![0].Ip);
        Assert.Null(patched.Spec!.IngressClassName);
        Assert.Equal("application/merge-patch+json", _server.Writes.Single().ContentType);

        // null removes the list (clearing the status).
        var cleared = await _client.PatchAsync<Ingress>(path, JsonNode.Parse("""{"status":{"loadBalancer":{"ingress":null}}}""")!.AsObject(), CancellationToken.None);
        Assert.Null(cleared.Status!.LoadBalancer!.Ingress);

        var missing = await Assert.ThrowsAsync<KubernetesApiException>(() => _client.PatchAsync<Ingress>(path.Replace("shop", "gone", StringComparison.Ordinal), patch, CancellationToken.None));
        Assert.True(missing.IsNotFound);
    }

    [Fact]
    public async Task AWriteAfterTokenRotationIsResentWithTheNewTokenAndTheSameBody()
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-write-token-").FullName;
        try
        {
            var tokenFile = Path.Combine(directory, "token");
            await File.WriteAllTextAsync(tokenFile, "first\n");
            _server.Token = "first";
            using var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress, Token = BearerTokenSource.FromFile(tokenFile) });
            await client.CreateAsync(LeaseCollection, NewLease("a"), CancellationToken.None);

            _server.Token = "second";
            await File.WriteAllTextAsync(tokenFile, "second\n");
            var lease = await client.GetAsync<Lease>(LeasePath, CancellationToken.None);
            lease!.Spec!.HolderIdentity = "rotated";
            await client.ReplaceAsync(LeasePath, lease, CancellationToken.None);

            Assert.Equal("rotated", _server.Get<Lease>(Leases, "gatehouse", "lock")!.Spec!.HolderIdentity);
            var puts = _server.Writes.Where(w => w.Method == "PUT").ToList();
            Assert.Equal(["Bearer second"], puts.Select(p => p.Authorization));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("GET", "/apis/networking.k8s.io/v1/ingresses", false, "networking.k8s.io", "ingresses", "list")]
    [InlineData("GET", "/apis/networking.k8s.io/v1/namespaces/web/ingresses", true, "networking.k8s.io", "ingresses", "watch")]
    [InlineData("PATCH", "/apis/networking.k8s.io/v1/namespaces/web/ingresses/shop/status", false, "networking.k8s.io", "ingresses/status", "patch")]
    [InlineData("POST", "/api/v1/namespaces/web/events", false, "", "events", "create")]
    [InlineData("GET", "/apis/coordination.k8s.io/v1/namespaces/gatehouse/leases/gatehouse-leader", false, "coordination.k8s.io", "leases", "get")]
    [InlineData("PUT", "/apis/coordination.k8s.io/v1/namespaces/gatehouse/leases/gatehouse-leader", false, "coordination.k8s.io", "leases", "update")]
    public void RequestsAreClassifiedAsTheirRbacPermission(string method, string path, bool watch, string group, string resource, string verb)
        => Assert.Equal(new ApiPermission(group, resource, verb), KubernetesApiCalls.Classify(method, path, watch));

    private static Lease NewLease(string holder) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new ObjectMeta { Name = "lock", Namespace = "gatehouse" },
        Spec = new LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = 15, RenewTime = DateTimeOffset.UtcNow },
    };
}
