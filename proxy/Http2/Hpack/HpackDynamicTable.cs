namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>
/// The RFC 7541 section 4 dynamic table: newest entry first (index 1), evicted oldest first to stay within
/// <see cref="MaxSize"/>. A ring of entries, so that lookups and evictions never move or allocate anything.
/// </summary>
internal sealed class HpackDynamicTable
{
    /// <summary>RFC 7541 section 4.1: the estimated overhead of an entry beyond its name and value octets.</summary>
    public const int EntryOverhead = 32;

    private const int InitialCapacity = 16;

    private Entry[] _ring;
    private int _nextSlot;
    private int _count;
    private int _size;
    private int _maxSize;

    public HpackDynamicTable(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _maxSize = maxSize;
        _ring = new Entry[Math.Min(InitialCapacity, MaxEntries(maxSize))];
    }

    public int Count => _count;

    /// <summary>The sum of the entries' sizes (name octets + value octets + 32 each).</summary>
    public int Size => _size;

    public int MaxSize => _maxSize;

    public static int GetEntrySize(int nameLength, int valueLength) => nameLength + valueLength + EntryOverhead;

    /// <summary>Name of the entry at <paramref name="index"/>: 1 is the most recently inserted.</summary>
    public ReadOnlySpan<byte> GetName(int index) => _ring[Slot(index)].Name;

    public ReadOnlySpan<byte> GetValue(int index) => _ring[Slot(index)].Value;

    /// <summary>
    /// Adds a field as the newest entry, evicting from the oldest end until it fits. A field larger than
    /// <see cref="MaxSize"/> empties the table and is not added (RFC 7541 section 4.4); that is not an error.
    /// </summary>
    public void Insert(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var entrySize = (long)name.Length + value.Length + EntryOverhead;
        if (entrySize > _maxSize)
        {
            EvictUntilSizeIsAtMost(0);
            return;
        }

        // Copied before evicting: the name may be that of an entry about to be evicted (RFC 7541 section 4.4).
        var entry = new Entry(name.ToArray(), value.ToArray(), (int)entrySize);
        EvictUntilSizeIsAtMost(_maxSize - entry.Size);
        if (_count == _ring.Length)
        {
            Grow();
        }

        _ring[_nextSlot] = entry;
        _nextSlot = _nextSlot + 1 == _ring.Length ? 0 : _nextSlot + 1;
        _count++;
        _size += entry.Size;
    }

    /// <summary>A dynamic table size update: evicts until the entries fit the new maximum.</summary>
    public void SetMaxSize(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _maxSize = maxSize;
        EvictUntilSizeIsAtMost(maxSize);
    }

    // Every entry is at least 32 octets, so a table of maxSize octets never holds more than maxSize / 32 of them.
    private static int MaxEntries(int maxSize) => Math.Max(1, maxSize / EntryOverhead);

    private int Slot(int index)
    {
        if ((uint)(index - 1) >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dynamic table has {_count} entries.");
        }

        var slot = _nextSlot - index;
        return slot < 0 ? slot + _ring.Length : slot;
    }

    private void EvictUntilSizeIsAtMost(int size)
    {
        while (_size > size)
        {
            var oldest = Slot(_count);
            _size -= _ring[oldest].Size;
            _ring[oldest] = default;
            _count--;
        }
    }

    private void Grow()
    {
        var larger = new Entry[_ring.Length * 2];

        // Unrolled oldest first, so that the next insertion goes right after the current newest.
        for (var index = _count; index >= 1; index--)
        {
            larger[_count - index] = _ring[Slot(index)];
        }

        _ring = larger;
        _nextSlot = _count;
    }

    private readonly record struct Entry(byte[] Name, byte[] Value, int Size);
}
