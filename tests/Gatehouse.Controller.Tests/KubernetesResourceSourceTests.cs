using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Tests.FakeApiServer;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests;

public sealed class KubernetesResourceSourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Small pages so a handful of objects already needs several; fast retries so tests do not wait on backoff.</summary>
    private static readonly InformerOptions FastInformers = new()
    {
        PageSize = 2,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
    };

    private FakeKubernetesApiServer _server = null!;
    private KubernetesApiClient _client = null!;
    private readonly List<KubernetesResourceSource> _sources = [];

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task InitialListAcrossSeveralPagesBecomesTheFirstSnapshot()
    {
        for (var i = 0; i < 5; i++)
        {
            _server.Apply(KubeObjects.Ingress("web", $"ing-{i}"));
            _server.Apply(KubeObjects.Service("web", $"svc-{i}"));
        }

        _server.Apply(KubeObjects.IngressClass("gatehouse"));
        _server.Apply(KubeObjects.EndpointSlice("web", "svc-0-abc"));
        _server.Apply(KubeObjects.Secret("web", "tls"));
        _server.Apply(KubeObjects.Secret("web", "token", type: "kubernetes.io/service-account-token"));
        var source = CreateSource();
        var changes = 0;
        ResourceSnapshot? first = null;
        source.Changed += (_, s) =>
        {
            Interlocked.CompareExchange(ref first, s, null);
            Interlocked.Increment(ref changes);
        };

        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.True(source.HasSynced);
        Assert.True(source.LastReadComplete);

        // The first snapshot raised, not Current: two informers finishing their lists at the same
        // moment may both raise one (same content), so Current can already be version 2.
        var snapshot = Volatile.Read(ref first)!;
        Assert.NotNull(snapshot);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"web/ing-{i}"), snapshot.Ingresses.Keys);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"web/svc-{i}"), snapshot.Services.Keys);
        Assert.Equal(["gatehouse"], snapshot.IngressClasses.Keys);
        Assert.Equal(["web/svc-0-abc"], snapshot.EndpointSlices.Keys);

        // The field selector keeps non-TLS secrets out of the cache.
        Assert.Equal(["web/tls"], snapshot.Secrets.Keys);
        Assert.Equal("example.test", snapshot.Ingresses["web/ing-3"].Spec!.Rules![0].Host);

        // Five items in pages of two: three list requests each for ingresses and services.
        Assert.Equal(3, _server.ListRequests(Ingresses));
        Assert.Equal(3, _server.ListRequests(Services));
        Assert.Equal(1, _server.ListRequests(IngressClasses));
        Assert.True(changes >= 1);
        Assert.Equal(1, snapshot.Version);
    }

    [Fact]
    public async Task AddModifyAndDeleteOfEveryKindReachTheSnapshot()
    {
        var source = CreateSource();
        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);
        Assert.Empty(source.Current.Ingresses);

        _server.Apply(KubeObjects.Ingress("web", "site", host: "a.test"));
        _server.Apply(KubeObjects.IngressClass("gatehouse"));
        _server.Apply(KubeObjects.Service("web", "svc", port: 80));
        _server.Apply(KubeObjects.EndpointSlice("web", "svc-1", address: "10.0.0.1"));
        _server.Apply(KubeObjects.Secret("web", "tls", certificate: "djE="));
        await WaitForSnapshotAsync(source, s => s.Ingresses.Count == 1 && s.IngressClasses.Count == 1 && s.Services.Count == 1
            && s.EndpointSlices.Count == 1 && s.Secrets.Count == 1);

        _server.Apply(KubeObjects.Ingress("web", "site", host: "b.test"));
        _server.Apply(KubeObjects.IngressClass("gatehouse", controller: "example.com/other"));
        _server.Apply(KubeObjects.Service("web", "svc", port: 8080));
        _server.Apply(KubeObjects.EndpointSlice("web", "svc-1", address: "10.0.0.2"));

        // Created before the TLS secret's update on the same watch: if the watch did not carry the field
        // selector, it would be in the snapshot by the time the update is.
        _server.Apply(KubeObjects.Secret("web", "opaque", type: "Opaque"));
        _server.Apply(KubeObjects.Secret("web", "tls", certificate: "djI="));
        await WaitForSnapshotAsync(source, s =>
            s.Ingresses["web/site"].Spec!.Rules![0].Host == "b.test"
            && s.IngressClasses["gatehouse"].Spec!.Controller == "example.com/other"
            && s.Services["web/svc"].Spec!.Ports![0].Port == 8080
            && s.EndpointSlices["web/svc-1"].Endpoints![0].Addresses![0] == "10.0.0.2"
            && s.Secrets["web/tls"].Data!["tls.crt"] == "djI=");
        Assert.Equal(["web/tls"], source.Current.Secrets.Keys);

        Assert.True(_server.Delete<Ingress>("web", "site"));
        Assert.True(_server.Delete<IngressClass>(null, "gatehouse"));
        Assert.True(_server.Delete<Service>("web", "svc"));
        Assert.True(_server.Delete<EndpointSlice>("web", "svc-1"));
        Assert.True(_server.Delete<Secret>("web", "tls"));
        await WaitForSnapshotAsync(source, s => s.Ingresses.IsEmpty && s.IngressClasses.IsEmpty && s.Services.IsEmpty
            && s.EndpointSlices.IsEmpty && s.Secrets.IsEmpty);
    }

    [Fact]
    public async Task OpaqueSecretsWithACaBundleAreCachedAndOtherOpaqueSecretsAreNot()
    {
        _server.Apply(OpaqueSecret("client-ca", new() { ["ca.crt"] = "Y2E=" }));
        _server.Apply(OpaqueSecret("db-password", new() { ["password"] = "aHVudGVyMg==" }));
        _server.Apply(KubeObjects.Secret("web", "tls"));
        var source = CreateSource();
        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);

        // ingress-nginx accepts a CA bundle in an Opaque Secret (auth-tls-secret, proxy-ssl-secret).
        Assert.Equal(["web/client-ca", "web/tls"], source.Current.Secrets.Keys);

        // Gaining a ca.crt brings a Secret in; losing it takes it out as if deleted.
        _server.Apply(OpaqueSecret("db-password", new() { ["password"] = "aHVudGVyMg==", ["ca.crt"] = "Y2E=" }));
        await WaitForSnapshotAsync(source, s => s.Secrets.ContainsKey("web/db-password"));
        _server.Apply(OpaqueSecret("client-ca", new() { ["other"] = "eA==" }));
        await WaitForSnapshotAsync(source, s => !s.Secrets.ContainsKey("web/client-ca"));
        Assert.Equal(["web/db-password", "web/tls"], source.Current.Secrets.Keys);
    }

    [Fact]
    public async Task NotSyncedUntilEveryKindIsListed()
    {
        _server.Apply(KubeObjects.Ingress("web", "site"));
        _server.RefusedLists[EndpointSlices] = true;
        var source = CreateSource();
        var changes = 0;
        source.Changed += (_, _) => Interlocked.Increment(ref changes);

        var start = source.StartAsync(CancellationToken.None);

        // Every other kind lists (and is retried for endpoint slices) while the source stays unsynced.
        await _server.WaitUntilAsync(() => _server.ListRequests(EndpointSlices) >= 2 && _server.ListRequests(Ingresses) >= 1
            && _server.ListRequests(IngressClasses) >= 1 && _server.ListRequests(Services) >= 1 && _server.ListRequests(Secrets) >= 1);
        Assert.False(start.IsCompleted);
        Assert.False(source.HasSynced);
        Assert.Same(ResourceSnapshot.Empty, source.Current);
        Assert.Equal(0, Volatile.Read(ref changes));

        _server.RefusedLists.TryRemove(EndpointSlices, out _);
        await start.WaitAsync(Timeout);

        Assert.True(source.HasSynced);
        Assert.Equal(["web/site"], source.Current.Ingresses.Keys);
        Assert.True(Volatile.Read(ref changes) >= 1);
    }

    [Fact]
    public async Task StartIsCancellableWhileWaitingForSync()
    {
        _server.RefusedLists[Services] = true;
        var source = CreateSource();
        using var cancel = new CancellationTokenSource();

        var start = source.StartAsync(cancel.Token);
        await _server.WaitUntilAsync(() => _server.ListRequests(Services) >= 1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start.WaitAsync(Timeout));
        Assert.False(source.HasSynced);
    }

    [Fact]
    public async Task WatchNamespaceReadsOnlyThatNamespaceButAllIngressClasses()
    {
        _server.Apply(KubeObjects.Ingress("web", "in"));
        _server.Apply(KubeObjects.Ingress("other", "out"));
        _server.Apply(KubeObjects.Service("web", "in"));
        _server.Apply(KubeObjects.Service("other", "out"));
        _server.Apply(KubeObjects.IngressClass("gatehouse"));
        var source = CreateSource("web");

        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(
            [
                "/apis/networking.k8s.io/v1/namespaces/web/ingresses",
                "/apis/networking.k8s.io/v1/ingressclasses",
                "/api/v1/namespaces/web/services",
                "/apis/discovery.k8s.io/v1/namespaces/web/endpointslices",
                "/api/v1/namespaces/web/secrets",

                // Twice: type=kubernetes.io/tls, and type=Opaque kept only with a ca.crt.
                "/api/v1/namespaces/web/secrets",
            ],
            source.Paths);
        Assert.Equal(["web/in"], source.Current.Ingresses.Keys);
        Assert.Equal(["web/in"], source.Current.Services.Keys);
        Assert.Equal(["gatehouse"], source.Current.IngressClasses.Keys);

        // Watches are namespaced too: a change elsewhere never arrives, a change in "web" does.
        _server.Apply(KubeObjects.Ingress("other", "out-2"));
        _server.Apply(KubeObjects.Ingress("web", "in-2"));
        await WaitForSnapshotAsync(source, s => s.Ingresses.ContainsKey("web/in-2"));
        Assert.Equal(["web/in", "web/in-2"], source.Current.Ingresses.Keys);
    }

    [Fact]
    public async Task DisposeStopsEveryWatch()
    {
        var source = CreateSource();
        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);
        // Six: Ingress, IngressClass, Service, EndpointSlice, and Secret twice (TLS, Opaque CA bundles).
        await _server.WaitUntilAsync(() => _server.Store.OpenWatches.Count == 6);

        await source.DisposeAsync().AsTask().WaitAsync(Timeout);

        await _server.WaitUntilAsync(() => _server.Store.OpenWatches.Count == 0);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => source.StartAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AFailingListIsTheSourcesProblemUntilItSucceeds()
    {
        _server.Apply(KubeObjects.Service("web", "svc"));
        _server.RefusedLists[Services] = true;
        var source = CreateSource();
        var starting = source.StartAsync(CancellationToken.None);

        await _server.WaitUntilAsync(() => _server.ListRequests(Services) >= 2);
        var problem = source.Problem;
        Assert.NotNull(problem);
        Assert.StartsWith("kubernetes:fake: list /api/v1/services failed:", problem, StringComparison.Ordinal);

        _server.RefusedLists.TryRemove(Services, out _);
        await starting.WaitAsync(Timeout);
        Assert.Null(source.Problem);
    }

    [Fact]
    public async Task ASourceOfSomeKindsAsksOnlyForThoseAndLeavesTheOthersEmpty()
    {
        _server.Apply(KubeObjects.Ingress("web", "ing"));
        _server.Apply(KubeObjects.Service("web", "svc"));
        _server.Apply(KubeObjects.EndpointSlice("web", "svc-1"));
        var source = CreateSource(kinds: ResourceKinds.Runtime);

        await source.StartAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal([Services, EndpointSlices], source.Paths);
        Assert.Equal("kubernetes:fake (Runtime)", source.Name);
        Assert.Empty(source.Current.Ingresses);
        Assert.Single(source.Current.Services);
        Assert.Single(source.Current.EndpointSlices);
        Assert.Equal(0, _server.ListRequests(Ingresses));
    }

    private static Secret OpaqueSecret(string name, Dictionary<string, string> data)
    {
        var secret = KubeObjects.Secret("web", name, type: "Opaque");
        secret.Data = data;
        return secret;
    }

    private KubernetesResourceSource CreateSource(string? watchNamespace = null, ResourceKinds kinds = ResourceKinds.All)
    {
        var source = new KubernetesResourceSource(_client, "fake", watchNamespace, FastInformers, NullLoggerFactory.Instance, kinds);
        _sources.Add(source);
        return source;
    }

    private static async Task WaitForSnapshotAsync(KubernetesResourceSource source, Func<ResourceSnapshot, bool> condition)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, ResourceSnapshot snapshot)
        {
            if (Matches(snapshot))
            {
                reached.TrySetResult();
            }
        }

        bool Matches(ResourceSnapshot snapshot)
        {
            try
            {
                return condition(snapshot);
            }
            catch (KeyNotFoundException)
            {
                return false;
            }
        }

        source.Changed += OnChanged;
        try
        {
            if (Matches(source.Current))
            {
                return;
            }

            await reached.Task.WaitAsync(Timeout);
        }
        finally
        {
            source.Changed -= OnChanged;
        }
    }
}
