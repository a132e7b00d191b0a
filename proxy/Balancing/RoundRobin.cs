namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// Lock-free round-robin cursor. One instance is shared by all requests to a backend; the counter
/// wraps harmlessly because the index is computed from its unsigned value.
/// </summary>
internal sealed class RoundRobin
{
    private int _counter = -1;

    /// <summary>Returns the next index in [0, count). <paramref name="count"/> must be positive.</summary>
    public int Next(int count)
    {
        // Interlocked keeps the distribution even under concurrency without a lock; overflow wraps
        // to negative ints, which the uint cast maps back onto a continuous sequence.
        var value = (uint)Interlocked.Increment(ref _counter);
        return (int)(value % (uint)count);
    }
}
