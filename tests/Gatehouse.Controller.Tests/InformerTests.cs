using System.Globalization;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests;

public sealed class InformerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private FakeKubernetesApiServer _server = null!;
    private KubernetesApiClient _client = null!;
    private Informer<Ingress> _informer = null!;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private int _changes;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
        _informer = new Informer<Ingress>(
            _client,
            Ingresses,
            null,
            new InformerOptions { PageSize = 3, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100) },
            NullLogger.Instance);
        _informer.Changed += (_, _) => Interlocked.Increment(ref _changes);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(Timeout);
        _stop.Dispose();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task CutWatchResumesFromTheLastResourceVersionWithoutMissingOrReplayingEvents()
    {
        for (var i = 0; i < 4; i++)
        {
            _server.Apply(KubeObjects.Ingress("web", $"listed-{i}"));
        }

        await StartAndWatchAsync();
        var changesAfterList = Volatile.Read(ref _changes);

        var lastBeforeCut = 0L;
        for (var i = 0; i < 5; i++)
        {
            lastBeforeCut = _server.Apply(KubeObjects.Ingress("web", $"live-{i}"));
        }

        await WaitForAsync(() => _informer.ResourceVersion == Version(lastBeforeCut));
        Assert.Equal(1, _server.CutWatches());

        // Changes made while the client reconnects arrive through the resumed watch (replayed by the server from the log).
        _server.Apply(KubeObjects.Ingress("web", "live-0", host: "changed.test"));
        Assert.True(_server.Delete<Ingress>("web", "listed-0"));
        var last = _server.Apply(KubeObjects.Ingress("web", "after-cut"));

        await WaitForAsync(() => _informer.ResourceVersion == Version(last));
        Assert.Equal(Version(lastBeforeCut), _server.WatchRequests.Last().ResourceVersion);

        // Four objects in pages of three: the initial list took two requests, and nothing was listed again.
        Assert.Equal(2, _server.ListRequests(Ingresses));

        // 5 live + 3 after the cut: each event sent once and applied once, none replayed.
        Assert.Equal(8, _server.Store.EventsSent(Ingresses));
        Assert.Equal(8, Volatile.Read(ref _changes) - changesAfterList);
        Assert.Equal(
            ["web/after-cut", "web/listed-1", "web/listed-2", "web/listed-3", "web/live-0", "web/live-1", "web/live-2", "web/live-3", "web/live-4"],
            _informer.Items.Keys);
        Assert.Equal("changed.test", _informer.Items["web/live-0"].Spec!.Rules![0].Host);
    }

    [Fact]
    public async Task WatchEndedByTheServerTimeoutIsResumedWithoutRelisting()
    {
        var informer = new Informer<Ingress>(
            _client, Ingresses, null, new InformerOptions { WatchTimeoutSeconds = 1, InitialBackoff = TimeSpan.FromSeconds(30) }, NullLogger.Instance);
        _server.Apply(KubeObjects.Ingress("web", "listed"));
        _running = informer.RunAsync(_stop.Token);
        await informer.Synced.WaitAsync(Timeout);
        var last = _server.Apply(KubeObjects.Ingress("web", "live"));

        // The server closes the stream cleanly after a second; the informer watches again at once
        // (a 30 s backoff would time this out) from the last event's version, without listing.
        await _server.WaitUntilAsync(() => _server.WatchRequests.Count >= 2);

        Assert.Equal(Version(last), _server.WatchRequests[1].ResourceVersion);
        Assert.Equal(1, _server.ListRequests(Ingresses));
        Assert.Equal(["web/listed", "web/live"], informer.Items.Keys);
    }

    [Fact]
    public async Task BookmarkMovesTheResumePointPastChangesTheWatchDoesNotSelect()
    {
        _server.Apply(KubeObjects.Ingress("web", "site"));
        await StartAndWatchAsync();
        var before = _informer.ResourceVersion;

        // Services move the global resourceVersion; the ingress watch sees none of it until a bookmark.
        for (var i = 0; i < 3; i++)
        {
            _server.Apply(KubeObjects.Service("web", $"svc-{i}"));
        }

        var bookmark = _server.Store.SendBookmarks();
        await WaitForAsync(() => _informer.ResourceVersion == Version(bookmark));
        Assert.NotEqual(before, _informer.ResourceVersion);

        // History before the bookmark is compacted: resuming from the bookmark still works without a relist.
        _server.Store.Compact();
        _server.CutWatches();
        await _server.WaitUntilAsync(() => _server.WatchRequests.Count >= 2 && _server.Store.OpenWatches.Count == 1);

        Assert.Equal(Version(bookmark), _server.WatchRequests[^1].ResourceVersion);
        Assert.Equal(1, _server.ListRequests(Ingresses));
        Assert.Equal(1, Volatile.Read(ref _changes));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GoneLeadsToARelistThatConvergesToTheServerState(bool goneAsHttpStatus)
    {
        _server.GoneAsHttpStatus = goneAsHttpStatus;
        for (var i = 0; i < 5; i++)
        {
            _server.Apply(KubeObjects.Ingress("web", $"ing-{i}"));
        }

        await StartAndWatchAsync();

        // Hide changes from the client, then compact them away so its resume point is gone.
        _server.RefuseWatches = true;
        _server.CutWatches();
        await _server.WaitUntilAsync(() => _server.WatchRequests.Count >= 2);
        Assert.True(_server.Delete<Ingress>("web", "ing-0"));
        _server.Apply(KubeObjects.Ingress("web", "ing-1", host: "changed.test"));
        var last = _server.Apply(KubeObjects.Ingress("web", "ing-new"));
        _server.Store.Compact();
        _server.RefuseWatches = false;

        await WaitForAsync(() => _informer.ResourceVersion == Version(last) && _server.Store.OpenWatches.Count == 1);

        // Five objects in pages of three, listed twice.
        Assert.Equal(4, _server.ListRequests(Ingresses));
        Assert.Equal(["web/ing-1", "web/ing-2", "web/ing-3", "web/ing-4", "web/ing-new"], _informer.Items.Keys);
        Assert.Equal("changed.test", _informer.Items["web/ing-1"].Spec!.Rules![0].Host);

        // The watch after the relist starts from the relist's version, not the compacted one.
        Assert.Equal(Version(last), _server.WatchRequests[^1].ResourceVersion);
    }

    [Fact]
    public async Task RepeatedGoneBacksOffInsteadOfRelistingInALoop()
    {
        var logger = new SignalingLogger("Repeated 410 Gone");
        var informer = new Informer<Ingress>(
            _client, Ingresses, null, new InformerOptions { InitialBackoff = TimeSpan.FromSeconds(30) }, logger);
        _server.ExpireAllWatches = true;

        _running = informer.RunAsync(_stop.Token);
        var message = await logger.Logged.WaitAsync(Timeout);

        // List, watch (410), relist at once, watch (410), then a delay of at least half the initial backoff.
        Assert.Equal(2, _server.ListRequests(Ingresses));
        Assert.Equal(2, _server.WatchRequests.Count);
        Assert.Matches(@"listing again in (1[5-9]|2\d|30)\d{3} ms", message);
    }

    private async Task StartAndWatchAsync()
    {
        _running = _informer.RunAsync(_stop.Token);
        await _informer.Synced.WaitAsync(Timeout);
        await _server.WaitUntilAsync(() => _server.Store.OpenWatches.Count == 1);
    }

    /// <summary>Waits for a condition, re-checked whenever the informer's cache or resume point moves and after each server request.</summary>
    private async Task WaitForAsync(Func<bool> condition)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(object? sender, EventArgs e)
        {
            if (condition())
            {
                reached.TrySetResult();
            }
        }

        void CheckVersion(string version) => Check(null, EventArgs.Empty);
        _informer.Changed += Check;
        _informer.ResourceVersionAdvanced += CheckVersion;
        try
        {
            var serverSide = _server.WaitUntilAsync(condition, Timeout);
            Check(null, EventArgs.Empty);
            await Task.WhenAny(reached.Task, serverSide).Unwrap().WaitAsync(Timeout);
        }
        finally
        {
            _informer.Changed -= Check;
            _informer.ResourceVersionAdvanced -= CheckVersion;
        }
    }

    private static string Version(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    /// <summary>Completes <see cref="Logged"/> with the first message containing a given text.</summary>
    private sealed class SignalingLogger(string text) : Microsoft.Extensions.Logging.ILogger
    {
        private readonly TaskCompletionSource<string> _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> Logged => _logged.Task;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            if (message.Contains(text, StringComparison.Ordinal))
            {
                _logged.TrySetResult(message);
            }
        }
    }
}
