using System.Diagnostics;

namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// What the proxy has learned about one endpoint of one backend: requests in flight, the peak-EWMA of
/// its response time (load-balance: ewma) and its recent failures (passive health). Long-lived:
/// carried over from one route table generation to the next while the backend name and endpoint
/// address stay, so a config swap forgets neither an ejected endpoint nor a warm latency estimate.
/// Updated lock-free from the request path; a lost race only blurs an estimate, never corrupts it.
/// </summary>
internal sealed class EndpointState
{
    /// <summary>Decay time of the latency estimate (ingress-nginx's ewma uses 10 s as well).</summary>
    private static readonly double DecayTicks = 10.0 * Stopwatch.Frequency;

    private readonly PassiveHealth _health;
    private int _inFlight;
    private long _latencyBits; // double ticks, as bits for Interlocked
    private long _latencyUpdatedAt;
    private int _failures;
    private long _firstFailureAt;
    private long _ejectedUntil;
    private long _ejections;

    public EndpointState(string name, PassiveHealth? health = null)
    {
        Name = name;
        _health = health ?? PassiveHealth.Default;
    }

    /// <summary>"backend@address:port", for logs.</summary>
    public string Name { get; }

    /// <summary>Requests currently forwarded to this endpoint.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Times passive health has ejected the endpoint (gatehouse_upstream_ejections_total).</summary>
    public long Ejections => Volatile.Read(ref _ejections);

    /// <summary>Call when an attempt to this endpoint starts; returns the start timestamp for <see cref="EndAttempt"/>.</summary>
    public long BeginAttempt()
    {
        Interlocked.Increment(ref _inFlight);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Call once per <see cref="BeginAttempt"/> when the attempt has its answer. <paramref name="failed"/>
    /// is true for the failures passive health counts: connect errors, timeouts and the statuses the
    /// route's proxy-next-upstream lists.
    /// </summary>
    public void EndAttempt(long startedAt, bool failed)
    {
        Interlocked.Decrement(ref _inFlight);
        var now = Stopwatch.GetTimestamp();
        if (failed)
        {
            RecordFailure(now);
        }
        else
        {
            ObserveLatency(now - startedAt, now);
            RecordSuccess();
        }
    }

    /// <summary>False while passive health has ejected the endpoint (selection skips it unless all are ejected).</summary>
    public bool IsAvailable(long now) => now >= Volatile.Read(ref _ejectedUntil);

    /// <summary>
    /// The ewma score: the decayed peak-EWMA response time times the requests in flight plus one, so
    /// a fast endpoint that is already busy loses against an idle one. Zero for an endpoint never measured,
    /// which makes a new endpoint get tried first.
    /// </summary>
    public double Score(long now)
    {
        var latency = BitConverter.Int64BitsToDouble(Volatile.Read(ref _latencyBits));
        if (latency > 0)
        {
            var elapsed = now - Volatile.Read(ref _latencyUpdatedAt);
            if (elapsed > 0)
            {
                latency *= Math.Exp(-elapsed / DecayTicks);
            }
        }

        return latency * (InFlight + 1);
    }

    /// <summary>Peak-EWMA: a slower answer takes over at once, faster ones pull the estimate down gradually.</summary>
    internal void ObserveLatency(long ticks, long now)
    {
        var previous = BitConverter.Int64BitsToDouble(Volatile.Read(ref _latencyBits));
        var elapsed = now - Volatile.Read(ref _latencyUpdatedAt);
        double next;
        if (previous <= 0 || ticks > previous)
        {
            next = ticks;
        }
        else
        {
            var weight = Math.Exp(-Math.Max(elapsed, 0) / DecayTicks);
            next = (previous * weight) + (ticks * (1 - weight));
        }

        Volatile.Write(ref _latencyBits, BitConverter.DoubleToInt64Bits(next));
        Volatile.Write(ref _latencyUpdatedAt, now);
    }

    private void RecordFailure(long now)
    {
        if (_health.MaxFails <= 0)
        {
            return;
        }

        // A failure outside the window of the first one starts a new window (nginx's fail_timeout).
        if (now - Volatile.Read(ref _firstFailureAt) > _health.FailTimeoutTicks || Volatile.Read(ref _failures) == 0)
        {
            Volatile.Write(ref _firstFailureAt, now);
            Volatile.Write(ref _failures, 0);
        }

        var failures = Interlocked.Increment(ref _failures);
        if (failures >= _health.MaxFails && IsAvailable(now))
        {
            Volatile.Write(ref _ejectedUntil, now + _health.FailTimeoutTicks);
            Volatile.Write(ref _failures, 0);
            Interlocked.Increment(ref _ejections);
            _health.Ejected(this, failures);
        }
    }

    private void RecordSuccess()
    {
        if (Volatile.Read(ref _failures) != 0)
        {
            Volatile.Write(ref _failures, 0);
        }

        if (Volatile.Read(ref _ejectedUntil) != 0 && Interlocked.Exchange(ref _ejectedUntil, 0) != 0)
        {
            _health.Recovered(this);
        }
    }
}
