using System.Net;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests;

public sealed class KubernetesApiClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private FakeKubernetesApiServer _server = null!;
    private string _directory = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _directory = Directory.CreateTempSubdirectory("gatehouse-api-client-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task ListPagesWithLimitAndContinueFromOneSnapshot()
    {
        for (var i = 0; i < 5; i++)
        {
            _server.Apply(KubeObjects.Service("web", $"svc-{i}"));
        }

        using var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });

        var first = await client.ListAsync<Service>(Services, new ListRequest { Limit = 2 }, CancellationToken.None);
        var listVersion = first.Metadata.ResourceVersion;

        // A change between pages does not show in later pages: they come from the first page's snapshot.
        _server.Apply(KubeObjects.Service("web", "svc-9"));
        var second = await client.ListAsync<Service>(Services, new ListRequest { Limit = 2, Continue = first.Metadata.Continue }, CancellationToken.None);
        var third = await client.ListAsync<Service>(Services, new ListRequest { Limit = 2, Continue = second.Metadata.Continue }, CancellationToken.None);

        Assert.Equal(["svc-0", "svc-1"], first.Items.Select(s => s.Metadata.Name));
        Assert.Equal(["svc-2", "svc-3"], second.Items.Select(s => s.Metadata.Name));
        Assert.Equal(["svc-4"], third.Items.Select(s => s.Metadata.Name));
        Assert.False(string.IsNullOrEmpty(first.Metadata.Continue));
        Assert.True(string.IsNullOrEmpty(third.Metadata.Continue));
        Assert.Equal(listVersion, third.Metadata.ResourceVersion);
        Assert.Equal(80, third.Items[0].Spec!.Ports![0].Port);
    }

    [Fact]
    public async Task ListAppliesFieldAndLabelSelectors()
    {
        _server.Apply(KubeObjects.Secret("web", "tls"));
        _server.Apply(KubeObjects.Secret("web", "opaque", type: "Opaque"));
        var labelled = KubeObjects.Secret("web", "tls-labelled");
        labelled.Metadata.Labels = new() { ["team"] = "edge" };
        _server.Apply(labelled);
        using var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });

        var tls = await client.ListAsync<Secret>(Secrets, new ListRequest { FieldSelector = "type=kubernetes.io/tls" }, CancellationToken.None);
        var edge = await client.ListAsync<Secret>(Secrets, new ListRequest { FieldSelector = "type=kubernetes.io/tls", LabelSelector = "team=edge" }, CancellationToken.None);

        Assert.Equal(["tls", "tls-labelled"], tls.Items.Select(s => s.Metadata.Name));
        Assert.Equal(["tls-labelled"], edge.Items.Select(s => s.Metadata.Name));
    }

    [Fact]
    public async Task WatchStreamsEventsAsTheyHappen()
    {
        var start = _server.Apply(KubeObjects.Ingress("web", "before"));
        using var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
        using var stop = new CancellationTokenSource(Timeout);
        var seen = new List<(string Type, string? Name)>();

        await using var events = client.WatchAsync<Ingress>(Ingresses, start.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, true, 60, null, stop.Token)
            .GetAsyncEnumerator(stop.Token);

        // The first event arrives while the stream stays open: nothing waits for the response to end.
        _server.Apply(KubeObjects.Ingress("web", "live"));
        Assert.True(await events.MoveNextAsync());
        seen.Add((events.Current.Type, events.Current.Object?.Metadata.Name));

        Assert.True(_server.Delete<Ingress>("web", "before"));
        Assert.True(await events.MoveNextAsync());
        seen.Add((events.Current.Type, events.Current.Object?.Metadata.Name));

        var bookmark = _server.Store.SendBookmarks();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(WatchEventType.Bookmark, events.Current.Type);
        Assert.Equal(bookmark.ToString(System.Globalization.CultureInfo.InvariantCulture), events.Current.Object!.Metadata.ResourceVersion);

        Assert.Equal([(WatchEventType.Added, "live"), (WatchEventType.Deleted, "before")], seen);
    }

    [Fact]
    public async Task WatchFromACompactedVersionYieldsAnErrorEventWithGone()
    {
        var old = _server.Apply(KubeObjects.Ingress("web", "a"));
        _server.Apply(KubeObjects.Ingress("web", "b"));
        _server.Store.Compact();
        using var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });

        var events = new List<WatchEvent<Ingress>>();
        await foreach (var watchEvent in client.WatchAsync<Ingress>(Ingresses, (old - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, true, 60, null, CancellationToken.None))
        {
            events.Add(watchEvent);
        }

        var error = Assert.Single(events);
        Assert.Equal(WatchEventType.Error, error.Type);
        Assert.Equal(410, error.Status!.Code);

        _server.GoneAsHttpStatus = true;
        var refused = await Assert.ThrowsAsync<KubernetesApiException>(async () =>
        {
            await foreach (var unused in client.WatchAsync<Ingress>(Ingresses, "1", null, null, true, 60, null, CancellationToken.None))
            {
            }
        });
        Assert.True(refused.IsGone);
        Assert.Equal("Expired", refused.Status!.Reason);
    }

    [Fact]
    public async Task WrongFixedTokenIsUnauthorized()
    {
        _server.Token = "right";
        using var wrong = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress, Token = BearerTokenSource.FromToken("wrong") });
        using var right = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress, Token = BearerTokenSource.FromToken("right") });

        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => wrong.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None));
        var list = await right.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Empty(list.Items);
    }

    [Fact]
    public async Task RotatedTokenFileIsReReadAfterUnauthorized()
    {
        var tokenFile = Path.Combine(_directory, "token");
        await File.WriteAllTextAsync(tokenFile, "first\n");
        _server.Token = "first";
        using var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress, Token = BearerTokenSource.FromFile(tokenFile) });
        await client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None);

        // The kubelet rotates the token: the server stops accepting the old one long before our refresh interval.
        _server.Token = "second";
        await File.WriteAllTextAsync(tokenFile, "second\n");
        var list = await client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None);

        Assert.Empty(list.Items);

        // Without a new token in the file, a 401 is an error again (one retry, no loop).
        _server.Token = "third";
        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => client.ListAsync<Service>(Services, new ListRequest(), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public void TokenFileIsReReadOnceTheRefreshIntervalPassed()
    {
        var tokenFile = Path.Combine(_directory, "token");
        File.WriteAllText(tokenFile, "first");
        var time = new ManualTime();
        var source = BearerTokenSource.FromFile(tokenFile, time);

        Assert.Equal("first", source.GetToken());
        File.WriteAllText(tokenFile, "second");
        time.Advance(BearerTokenSource.RefreshInterval - TimeSpan.FromSeconds(1));
        Assert.Equal("first", source.GetToken());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("second", source.GetToken());
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
