using System.Collections.Concurrent;
using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// One request's cancellation source: cancelled when the client aborts or when the upstream timeout
/// elapses without activity. Instances are pooled, so a keep-alive request allocates neither a
/// linked source nor a timer; <see cref="CancellationTokenSource.TryReset"/> makes reuse safe.
/// </summary>
/// <remarks>
/// The timeout is a deadline field, not a timer: arming it (several times per request, on every sign
/// of progress) is one compare-and-swap, where <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>
/// took the runtime's timer-queue lock each time. <see cref="ActivityDeadlines"/> checks the deadlines
/// of all sources a few times a second and cancels the ones that have passed.
/// </remarks>
internal sealed class ActivityCancellation : CancellationTokenSource
{
    // Enough for every request in flight on a busy proxy; beyond it sources are simply disposed.
    private const int MaxPooled = 1024;

    // Deadline values that are not times: never expires, and taken by the sweep, which is cancelling it.
    private const long Disarmed = long.MaxValue;
    private const long Claimed = long.MinValue;

    // Sources an event loop returned and rents again first, without the shared queue (see LoopLocalStack).
    private const int LoopCacheSize = 64;

    [ThreadStatic]
    private static LoopLocalStack<ActivityCancellation>? t_loopSources;

    private static readonly ConcurrentQueue<ActivityCancellation> Pool = new();
    private static int _pooledCount;
    private static readonly Action<object?> CancelOnAbort = static state => ((ActivityCancellation)state!).Cancel();

    private CancellationTokenRegistration _abortRegistration;
    private TimeSpan _timeout;

    // Environment.TickCount64 milliseconds, Disarmed or Claimed. Only the sweep moves it to Claimed,
    // and a Claimed source never goes back to the pool: a late cancel cannot hit the next request.
    private long _deadline = Disarmed;
    private volatile bool _retired;

    private ActivityCancellation()
    {
    }

    /// <summary>True once the source has left the pool for good; the sweep forgets it.</summary>
    internal bool IsRetired => _retired;

    /// <summary>A source linked to <paramref name="requestAborted"/> whose timeout is already running.</summary>
    public static ActivityCancellation Rent(CancellationToken requestAborted, TimeSpan timeout)
    {
        var source = TakePooled();
        if (source is null)
        {
            source = new ActivityCancellation();
            ActivityDeadlines.Track(source);
        }

        source._timeout = timeout;
        source.Arm(timeout);
        source._abortRegistration = requestAborted.UnsafeRegister(CancelOnAbort, source);
        return source;
    }

    private static ActivityCancellation? TakePooled()
    {
        if (t_loopSources is { } cache && cache.TryPop(out var source))
        {
            return source;
        }

        if (Pool.TryDequeue(out source))
        {
            Interlocked.Decrement(ref _pooledCount);
            return source;
        }

        return null;
    }

    /// <summary>
    /// Cancels the source once <paramref name="timeout"/> passes without another call
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: never). Fires up to one sweep period late.
    /// </summary>
    public void Arm(TimeSpan timeout)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds >= int.MaxValue
            ? Disarmed
            : Environment.TickCount64 + (long)Math.Max(timeout.TotalMilliseconds, 0);
        var current = Volatile.Read(ref _deadline);
        if (current != Claimed)
        {
            // Fails only when the sweep has just claimed the source: it is being cancelled, as it should be.
            Interlocked.CompareExchange(ref _deadline, deadline, current);
        }
    }

    /// <summary>Pushes the deadline back by the full timeout (called on every sign of progress).</summary>
    public void ResetTimeout() => Arm(_timeout);

    /// <summary>
    /// Cancels the source if its deadline is at or before <paramref name="now"/> (TickCount64 ms).
    /// True when it did.
    /// </summary>
    internal bool ExpireIfDue(long now)
    {
        if (!TryClaimExpired(now))
        {
            return false;
        }

        try
        {
            Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Retired and disposed by its owner in the meantime: nobody is waiting on it.
        }

        return true;
    }

    /// <summary>The first half of <see cref="ExpireIfDue"/>: takes an expired source for cancelling.</summary>
    internal bool TryClaimExpired(long now)
    {
        var deadline = Volatile.Read(ref _deadline);
        return deadline != Claimed && deadline <= now && Interlocked.CompareExchange(ref _deadline, Claimed, deadline) == deadline;
    }

    /// <summary>Ends the request's use of the source. <paramref name="reusable"/> is false when
    /// something outside the request (a request body still being streamed by the handler) may hold it.</summary>
    public void Return(bool reusable)
    {
        // Disposing the registration waits for a running abort callback, so no late Cancel hits a reused source.
        _abortRegistration.Dispose();
        _abortRegistration = default;
        var claimed = Interlocked.Exchange(ref _deadline, Disarmed) == Claimed;
        if (claimed)
        {
            // The sweep is cancelling it right now: neither pooled nor disposed under its feet.
            _retired = true;
            return;
        }

        if (reusable && TryReset())
        {
            if ((t_loopSources ??= LoopLocalStack<ActivityCancellation>.ForCurrentLoop(LoopCacheSize, Retire)) is { } cache && cache.TryPush(this))
            {
                return;
            }

            if (Interlocked.Increment(ref _pooledCount) <= MaxPooled)
            {
                Pool.Enqueue(this);
                return;
            }

            Interlocked.Decrement(ref _pooledCount);
        }

        _retired = true;
        Dispose();
    }

    /// <summary>Takes a source its event loop still kept out of use for good (the loop ended); the sweep then forgets it.</summary>
    private static void Retire(ActivityCancellation source)
    {
        source._retired = true;
        source.Dispose();
    }
}
