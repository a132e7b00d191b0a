using System.Collections.Concurrent;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// The one timer behind every request's upstream timeout: every <see cref="Period"/> it cancels the
/// <see cref="ActivityCancellation"/> sources whose deadline has passed. Requests only write a
/// deadline, so the request path takes no timer-queue lock; timeouts fire up to one period late,
/// which is nothing next to timeouts counted in seconds (nginx's proxy_*_timeout).
/// </summary>
internal static class ActivityDeadlines
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    // Every live source, pooled or in use: a source is added once, when created, and dropped by the
    // sweep once retired. The pool bounds it (plus whatever is in flight beyond the pool's size).
    private static readonly ConcurrentQueue<ActivityCancellation> Sources = new();
    private static readonly Timer Sweeper = CreateSweeper();

    /// <summary>Sources the sweep currently watches (for tests and diagnostics).</summary>
    internal static int Count => Sources.Count;

    public static void Track(ActivityCancellation source) => Sources.Enqueue(source);

    /// <summary>One pass: cancels due sources, forgets retired ones, keeps the rest.</summary>
    internal static void Sweep(long now)
    {
        for (var n = Sources.Count; n > 0 && Sources.TryDequeue(out var source); n--)
        {
            if (source.IsRetired || source.ExpireIfDue(now))
            {
                // A cancelled source never returns to the pool, so it needs no more watching.
                continue;
            }

            Sources.Enqueue(source);
        }
    }

    private static Timer CreateSweeper()
    {
        // No ExecutionContext captured: the sweep belongs to no request.
        using (ExecutionContext.SuppressFlow())
        {
            return new Timer(static _ => Sweep(Environment.TickCount64), null, Period, Period);
        }
    }
}
