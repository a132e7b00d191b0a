using Gatehouse.Proxy.Forwarding;

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

    private static Task WhenCancelled(CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }
}
