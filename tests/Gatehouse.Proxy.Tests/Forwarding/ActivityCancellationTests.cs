using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Tests.Transport;
using Gatehouse.Proxy.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Forwarding;

public sealed class ActivityCancellationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ClientAbortCancelsTheSource()
    {
        using var aborted = new CancellationTokenSource();
        var source = ActivityCancellation.Rent(aborted.Token, Long);
        var cancelled = WhenCancelled(source.Token);

        await aborted.CancelAsync();

        await cancelled.WaitAsync(Patience);
        source.Return(reusable: true);
    }

    [Fact]
    public async Task TimeoutCancelsTheSourceWithoutAnAbort()
    {
        var source = ActivityCancellation.Rent(CancellationToken.None, TimeSpan.FromMilliseconds(50));
        await WhenCancelled(source.Token).WaitAsync(Patience);
        source.Return(reusable: true);
    }

    [Fact]
    public async Task AReusedSourceIgnoresThePreviousRequestsAbort()
    {
        // Many rent/return cycles so the pooled instances are certainly reused.
        var previousAborts = new List<CancellationTokenSource>();
        var current = new List<ActivityCancellation>();
        for (var i = 0; i < 200; i++)
        {
            var abort = new CancellationTokenSource();
            var source = ActivityCancellation.Rent(abort.Token, Long);
            source.Return(reusable: true);
            previousAborts.Add(abort);
        }

        using var stillRunning = new CancellationTokenSource();
        for (var i = 0; i < 200; i++)
        {
            current.Add(ActivityCancellation.Rent(stillRunning.Token, Long));
        }

        // Earlier requests' clients abort now; CancelAsync completes once their callbacks have run.
        foreach (var abort in previousAborts)
        {
            await abort.CancelAsync();
            abort.Dispose();
        }

        Assert.All(current, source => Assert.False(source.IsCancellationRequested));

        // The current requests' own abort still reaches every one of them.
        await stillRunning.CancelAsync();
        Assert.All(current, source => Assert.True(source.IsCancellationRequested));
        foreach (var source in current)
        {
            source.Return(reusable: true);
        }
    }

    [Fact]
    public async Task ACancelledSourceIsNotReused()
    {
        using var aborted = new CancellationTokenSource();
        var source = ActivityCancellation.Rent(aborted.Token, Long);
        await aborted.CancelAsync();
        source.Return(reusable: true);

        // More cycles than the pool can hold, so every pooled instance comes round at least once.
        for (var i = 0; i < 2048; i++)
        {
            var next = ActivityCancellation.Rent(CancellationToken.None, Long);
            Assert.False(next.IsCancellationRequested);
            next.Return(reusable: true);
        }
    }

    [Fact]
    public void ArmingAgainPushesTheDeadlineBack()
    {
        var source = ActivityCancellation.Rent(CancellationToken.None, TimeSpan.FromSeconds(1));
        var now = Environment.TickCount64;
        source.Arm(Long);

        Assert.False(source.ExpireIfDue(now + 2_000));
        Assert.False(source.IsCancellationRequested);

        Assert.True(source.ExpireIfDue(now + (long)Long.TotalMilliseconds + 1_000));
        Assert.True(source.IsCancellationRequested);
        source.Return(reusable: true);
    }

    [Fact]
    public void AnInfiniteTimeoutNeverExpires()
    {
        var source = ActivityCancellation.Rent(CancellationToken.None, TimeSpan.FromSeconds(1));
        source.Arm(Timeout.InfiniteTimeSpan);

        Assert.False(source.ExpireIfDue(long.MaxValue - 1));
        Assert.False(source.IsCancellationRequested);
        source.Return(reusable: true);
    }

    [Fact]
    public void AReturnedSourceIsNotCancelledByALateSweep()
    {
        var source = ActivityCancellation.Rent(CancellationToken.None, TimeSpan.FromSeconds(1));
        var now = Environment.TickCount64;
        source.Return(reusable: true);

        // The sweep read the old deadline before the return and acts on it after: nothing happens.
        Assert.False(source.ExpireIfDue(now + 60_000));

        var next = ActivityCancellation.Rent(CancellationToken.None, Long);
        Assert.False(next.IsCancellationRequested);
        next.Return(reusable: true);
    }

    [Fact]
    public void ASourceTheSweepHasClaimedIsNeverReused()
    {
        var source = ActivityCancellation.Rent(CancellationToken.None, Long);

        // The sweep has taken it (deadline passed) but not yet called Cancel when the request ends.
        Assert.True(source.TryClaimExpired(long.MaxValue - 1));
        source.Arm(Long);
        Assert.False(source.TryClaimExpired(long.MaxValue - 1));
        source.Return(reusable: true);
        Assert.True(source.IsRetired);

        // More cycles than the pool can hold: the claimed source never comes round, so its late
        // Cancel cannot reach another request.
        for (var i = 0; i < 2048; i++)
        {
            var next = ActivityCancellation.Rent(CancellationToken.None, Long);
            Assert.NotSame(source, next);
            next.Return(reusable: true);
        }

        source.Cancel();
    }

    [Fact]
    public void ASourceNotReusableIsRetired()
    {
        var source = ActivityCancellation.Rent(CancellationToken.None, Long);
        source.Return(reusable: false);

        Assert.True(source.IsRetired);
        Assert.False(source.ExpireIfDue(long.MaxValue - 1));
    }

    private static Task WhenCancelled(CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }

    [Fact]
    public async Task AnEventLoopRentsTheSourceItReturnedLast()
    {
        // Sources queued in the shared pool first: a shared first-in-first-out queue would hand one of them out next.
        var seeded = Enumerable.Range(0, 4).Select(_ => ActivityCancellation.Rent(CancellationToken.None, Long)).ToList();
        seeded.ForEach(source => source.Return(reusable: true));

        using var loops = new EpollLoopGroup(1, NullLoggerFactory.Instance);
        var (returned, rentedAgain) = await OnLoop.RunAsync(loops[0], () =>
        {
            var source = ActivityCancellation.Rent(CancellationToken.None, Long);
            source.Return(reusable: true);
            return (source, ActivityCancellation.Rent(CancellationToken.None, Long));
        });

        Assert.Same(returned, rentedAgain);
        Assert.False(rentedAgain.IsCancellationRequested);
        await OnLoop.RunAsync(loops[0], () =>
        {
            rentedAgain.Return(reusable: true);
            return true;
        });
    }

    [Fact]
    public async Task AnEventLoopDoesNotKeepACancelledSource()
    {
        using var loops = new EpollLoopGroup(1, NullLoggerFactory.Instance);
        using var aborted = new CancellationTokenSource();
        var (cancelled, next) = await OnLoop.RunAsync(loops[0], () =>
        {
            var source = ActivityCancellation.Rent(aborted.Token, Long);
            aborted.Cancel();
            source.Return(reusable: true);
            return (source, ActivityCancellation.Rent(CancellationToken.None, Long));
        });

        Assert.True(cancelled.IsCancellationRequested);
        Assert.NotSame(cancelled, next);
        Assert.False(next.IsCancellationRequested);
        next.Return(reusable: true);
    }

    [Fact]
    public async Task SourcesALoopKeptAreRetiredWhenTheLoopEnds()
    {
        var loops = new EpollLoopGroup(1, NullLoggerFactory.Instance);
        var kept = await OnLoop.RunAsync(loops[0], () =>
        {
            var source = ActivityCancellation.Rent(CancellationToken.None, Long);
            source.Return(reusable: true);
            return source;
        });
        Assert.False(kept.IsRetired);

        // Otherwise the deadline sweep would watch a source no thread can rent again, for good.
        loops.Dispose();

        Assert.True(kept.IsRetired);
    }
}
