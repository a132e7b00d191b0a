using System.Collections.Concurrent;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// One request's cancellation source: cancelled when the client aborts or when the upstream timeout
/// elapses without activity. Instances are pooled, so a keep-alive request allocates neither a
/// linked source nor a timer; <see cref="CancellationTokenSource.TryReset"/> makes reuse safe.
/// </summary>
internal sealed class ActivityCancellation : CancellationTokenSource
{
    // Enough for every request in flight on a busy proxy; beyond it sources are simply disposed.
    private const int MaxPooled = 1024;

    private static readonly ConcurrentQueue<ActivityCancellation> Pool = new();
    private static int _pooledCount;
    private static readonly Action<object?> CancelOnAbort = static state => ((ActivityCancellation)state!).Cancel();

    private CancellationTokenRegistration _abortRegistration;
    private TimeSpan _timeout;

    private ActivityCancellation()
    {
    }

    /// <summary>A source linked to <paramref name="requestAborted"/> whose timeout is already running.</summary>
    public static ActivityCancellation Rent(CancellationToken requestAborted, TimeSpan timeout)
    {
        if (Pool.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref _pooledCount);
        }
        else
        {
            source = new ActivityCancellation();
        }

        source._timeout = timeout;
        source.CancelAfter(timeout);
        source._abortRegistration = requestAborted.UnsafeRegister(CancelOnAbort, source);
        return source;
    }

    /// <summary>Pushes the deadline back by the full timeout (called on every sign of progress).</summary>
    public void ResetTimeout() => CancelAfter(_timeout);

    /// <summary>Ends the request's use of the source. <paramref name="reusable"/> is false when
    /// something outside the request (a request body still being streamed by the handler) may hold it.</summary>
    public void Return(bool reusable)
    {
        // Disposing the registration waits for a running abort callback, so no late Cancel hits a reused source.
        _abortRegistration.Dispose();
        _abortRegistration = default;
        if (reusable && TryReset())
        {
            if (Interlocked.Increment(ref _pooledCount) <= MaxPooled)
            {
                Pool.Enqueue(this);
                return;
            }

            Interlocked.Decrement(ref _pooledCount);
        }

        Dispose();
    }
}
