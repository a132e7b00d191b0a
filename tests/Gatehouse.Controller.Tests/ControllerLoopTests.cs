using Gatehouse.Controller;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests;

public sealed class ControllerLoopTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly ControllerOptions Options = new()
    {
        ManifestsDirectory = "/m",
        ChannelPath = "/c",
        Debounce = TimeSpan.FromMilliseconds(20),
    };

    private static ResourceSnapshot Snapshot(string host, string pathType = "Prefix") => Snapshots.FromYaml($$"""
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
        spec:
          ingressClassName: gatehouse
          rules:
            - host: {{host}}
              http:
                paths:
                  - path: /
                    pathType: {{pathType}}
                    backend:
                      service:
                        name: web
                        port: {number: 80}
        """);

    private sealed record Harness(FakeSource Source, RecordingSink Sink, ControllerState State, ControllerLoop Loop, TestLogger<ControllerLoop> Logger);

    private static Harness Create(FakeSource source)
    {
        var sink = new RecordingSink();
        var state = new ControllerState();
        var logger = new TestLogger<ControllerLoop>();
        return new Harness(source, sink, state, new ControllerLoop([source], new ConfigPublisher(sink), state, Options, logger), logger);
    }

    [Fact]
    public void WaitsForSyncThenPublishesAndReportsReadiness()
    {
        var h = Create(new FakeSource("manifests:/m"));
        h.Source.Set(Snapshot("a.test"));

        Assert.True(h.Loop.RunOnce());
        Assert.Empty(h.Sink.Published);
        Assert.Contains("manifests:/m", h.State.Current.NotReadyReason, StringComparison.Ordinal);

        h.Source.HasSynced = true;
        Assert.True(h.Loop.RunOnce());

        Assert.Single(h.Sink.Published);
        var status = h.State.Current;
        Assert.Null(status.NotReadyReason);
        Assert.Equal((1L, 1, 1, 1), (status.Generation, status.Hosts, status.Routes, status.Backends));
    }

    [Fact]
    public void RejectionsAreLoggedOnceWhileTheyPersist()
    {
        var h = Create(new FakeSource { HasSynced = true });
        h.Source.Set(Snapshot("a.test")); // service "web" does not exist → one diagnostic

        h.Loop.RunOnce();
        h.Loop.RunOnce();

        var logged = Assert.Single(h.Logger.At(LogLevel.Warning));
        Assert.Contains("service default/web not found", logged, StringComparison.Ordinal);
        Assert.Single(h.State.Current.Rejections);
        Assert.Single(h.Sink.Published); // second pass: same config, nothing published
    }

    [Fact]
    public void PublishFailureMakesTheControllerNotReadyUntilAPublishSucceeds()
    {
        var h = Create(new FakeSource { HasSynced = true });
        h.Source.Set(Snapshot("a.test"));
        h.Sink.FailWith = new IOException("channel gone");

        Assert.False(h.Loop.RunOnce());
        Assert.Contains("channel gone", h.State.Current.NotReadyReason, StringComparison.Ordinal);

        h.Sink.FailWith = null;
        Assert.True(h.Loop.RunOnce());
        Assert.Null(h.State.Current.NotReadyReason);
    }

    [Fact]
    public void AConfigWithoutHostsIsNotPublishedWhileTheSourceReadIsIncomplete()
    {
        var h = Create(new FakeSource { HasSynced = true });
        h.Source.Set(Snapshot("a.test"));
        Assert.True(h.Loop.RunOnce());
        Assert.Single(h.Sink.Published);

        // Every manifest became unreadable: the snapshot is empty only because the read failed.
        h.Source.LastReadComplete = false;
        h.Source.Set(ResourceSnapshot.Empty);
        Assert.True(h.Loop.RunOnce());
        Assert.True(h.Loop.RunOnce());

        Assert.Single(h.Sink.Published);
        var refusals = h.Logger.At(LogLevel.Warning).Where(m => m.Contains("Refusing to publish a config with no hosts", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, refusals.Count);
        Assert.Contains("fake", refusals[0], StringComparison.Ordinal);
        Assert.Null(h.State.Current.NotReadyReason);
        Assert.Equal((1L, 1), (h.State.Current.Generation, h.State.Current.Hosts));

        // Fixed: the next change publishes normally.
        h.Source.LastReadComplete = true;
        h.Source.Set(Snapshot("b.test"));
        Assert.True(h.Loop.RunOnce());
        Assert.Equal(2, h.Sink.Published.Count);
        Assert.Equal("b.test", h.Sink.Published[1].Hosts[0].Host);
    }

    [Fact]
    public void ACompleteReadThatDropsEveryHostStillPublishes()
    {
        var h = Create(new FakeSource { HasSynced = true });
        h.Source.Set(Snapshot("a.test"));
        h.Loop.RunOnce();

        h.Source.Set(ResourceSnapshot.Empty);
        Assert.True(h.Loop.RunOnce());

        Assert.Equal(2, h.Sink.Published.Count);
        Assert.Empty(h.Sink.Published[1].Hosts);
    }

    [Fact]
    public async Task RunningLoopPublishesOnStartAndOnEachChange()
    {
        var h = Create(new FakeSource());
        h.Source.Set(Snapshot("a.test"));
        using var cts = new CancellationTokenSource();

        await h.Loop.StartAsync(cts.Token);
        try
        {
            await h.Sink.WaitForPublishesAsync(1, Timeout);
            Assert.Equal("a.test", h.Sink.Published[0].Hosts[0].Host);

            h.Source.Set(Snapshot("b.test"));
            await h.Sink.WaitForPublishesAsync(2, Timeout);
            Assert.Equal("b.test", h.Sink.Published[1].Hosts[0].Host);
        }
        finally
        {
            await cts.CancelAsync();
            await h.Loop.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ASourceThatSettlesItsOwnChangesIsNotDebouncedAgain()
    {
        // The loop's clock never fires a timer: only a pass that skips the debounce can publish.
        var source = new FakeSource { SettlesChanges = true };
        var sink = new RecordingSink();
        var loop = new ControllerLoop([source], new ConfigPublisher(sink), new ControllerState(), Options, new TestLogger<ControllerLoop>(), new FrozenTime());
        source.Set(Snapshot("a.test"));
        using var cts = new CancellationTokenSource();

        await loop.StartAsync(cts.Token);
        try
        {
            await sink.WaitForPublishesAsync(1, Timeout);
            source.Set(Snapshot("b.test"));
            await sink.WaitForPublishesAsync(2, Timeout);
            Assert.Equal("b.test", sink.Published[1].Hosts[0].Host);
        }
        finally
        {
            await cts.CancelAsync();
            await loop.StopAsync(CancellationToken.None);
        }
    }

    private sealed class FrozenTime : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverFires();

        private sealed class NeverFires : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
