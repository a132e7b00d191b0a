namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Request counts by (method, status code) for one series, in a small open-addressed table whose
/// slots are claimed with CompareExchange: lock-free, allocation-free after construction and bounded.
/// A pair that finds the table full is counted in an overflow cell (exposed as method and status
/// "_other") so nothing is lost, only less specific.
/// </summary>
internal sealed class StatusMethodCounters
{
    public const int Capacity = 64;

    // Keys are method * 1000 + status + 1 so that 0 means "free".
    private readonly int[] _keys = new int[Capacity];
    private readonly long[] _counts = new long[Capacity];
    private long _overflow;

    public void Increment(int method, int status)
    {
        var key = method * 1000 + Math.Clamp(status, 0, 999) + 1;
        var slot = (int)((uint)(key * -1640531535) >> 26); // Fibonacci hash onto 64 slots
        for (var probe = 0; probe < Capacity; probe++, slot = (slot + 1) & (Capacity - 1))
        {
            var existing = Volatile.Read(ref _keys[slot]);
            if (existing == 0)
            {
                existing = Interlocked.CompareExchange(ref _keys[slot], key, 0);
                if (existing == 0)
                {
                    existing = key;
                }
            }

            if (existing == key)
            {
                Interlocked.Increment(ref _counts[slot]);
                return;
            }
        }

        Interlocked.Increment(ref _overflow);
    }

    public long Overflow => Volatile.Read(ref _overflow);

    /// <summary>Calls <paramref name="visit"/> with (method index, status, count) for every used slot.</summary>
    public void ForEach<TState>(TState state, Action<TState, int, int, long> visit)
    {
        for (var slot = 0; slot < Capacity; slot++)
        {
            var key = Volatile.Read(ref _keys[slot]);
            if (key != 0)
            {
                visit(state, (key - 1) / 1000, (key - 1) % 1000, Volatile.Read(ref _counts[slot]));
            }
        }
    }
}
