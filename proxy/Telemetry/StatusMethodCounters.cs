using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Request counts by (method, status code) for one series, in a small open-addressed table inside the
/// series' cell array (<see cref="RouteTelemetry"/>): each slot is a key cell next to its count, so an
/// increment touches one cache line. Slots are claimed with CompareExchange: lock-free,
/// allocation-free and bounded. A pair that finds the table full is counted in an overflow cell
/// (exposed as method and status "_other") so nothing is lost, only less specific.
/// </summary>
internal readonly struct StatusMethodCounters
{
    public const int Capacity = 64;

    /// <summary>Cells the table takes: a key and a count per slot, then the overflow count.</summary>
    public const int CellCount = Capacity * 2 + 1;

    private const int OverflowCell = Capacity * 2;

    private readonly long[] _cells;
    private readonly int _offset;

    /// <param name="cells">The series' cells.</param>
    /// <param name="offset">Where the table's <see cref="CellCount"/> cells start.</param>
    public StatusMethodCounters(long[] cells, int offset)
    {
        if ((uint)offset > (uint)(cells.Length - CellCount))
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        _cells = cells;
        _offset = offset;
    }

    /// <summary>Starts fetching the line of the slot where the pair's search begins (usually the one it ends in).</summary>
    public void Prefetch(int method, int status)
        => CacheLines.Prefetch(ref Unsafe.Add(ref Table, HomeSlot(Key(method, status)) * 2));

    public void Increment(int method, int status)
    {
        var key = Key(method, status);
        var slot = HomeSlot(key);
        ref var table = ref Table;
        for (var probe = 0; probe < Capacity; probe++, slot = (slot + 1) & (Capacity - 1))
        {
            ref var keyCell = ref Unsafe.Add(ref table, slot * 2);
            var existing = Volatile.Read(ref keyCell);
            if (existing == 0)
            {
                existing = Interlocked.CompareExchange(ref keyCell, key, 0);
                if (existing == 0)
                {
                    existing = key;
                }
            }

            if (existing == key)
            {
                Interlocked.Increment(ref Unsafe.Add(ref keyCell, 1));
                return;
            }
        }

        Interlocked.Increment(ref Unsafe.Add(ref table, OverflowCell));
    }

    // Keys are method * 1000 + status + 1 so that 0 means "free".
    private static long Key(int method, int status) => method * 1000 + Math.Clamp(status, 0, 999) + 1;

    private static int HomeSlot(long key) => (int)((uint)((int)key * -1640531535) >> 26); // Fibonacci hash onto 64 slots

    // The constructor checked that the whole table lies inside the array.
    private ref long Table => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_cells), _offset);

    public long Overflow => Volatile.Read(ref _cells[_offset + OverflowCell]);

    /// <summary>Calls <paramref name="visit"/> with (method index, status, count) for every used slot.</summary>
    public void ForEach<TState>(TState state, Action<TState, int, int, long> visit)
    {
        for (var slot = 0; slot < Capacity; slot++)
        {
            var key = (int)Volatile.Read(ref _cells[_offset + slot * 2]);
            if (key != 0)
            {
                visit(state, (key - 1) / 1000, (key - 1) % 1000, Volatile.Read(ref _cells[_offset + slot * 2 + 1]));
            }
        }
    }
}
