using System.Runtime.InteropServices;
using Gatehouse.Model;

namespace Gatehouse.Serialization;

/// <summary>
/// Remembers the hosts and backends of the last config decoded through it, by their encoded bytes.
/// A host or backend whose bytes are the same in the next blob is not decoded again: the earlier
/// instance is returned, so a change to one host of 100,000 allocates one host, and the proxy can
/// tell unchanged parts from changed ones by reference. Keeps the last payload (its bytes are the
/// keys). Not thread-safe: the strategy thread is its only user.
/// </summary>
public sealed class ConfigDecodeCache
{
    private byte[]? _pending;

    internal ElementCache<VirtualHostConfig> Hosts { get; } = new();

    internal ElementCache<BackendConfig> Backends { get; } = new();

    /// <summary>Hosts and backends taken from the previous blob in the last decode (for tests and diagnostics).</summary>
    public int LastReused => Hosts.LastReused + Backends.LastReused;

    internal void Begin(byte[] payload)
    {
        _pending = payload;
        Hosts.Begin();
        Backends.Begin();
    }

    /// <summary>The decode succeeded: its elements are what the next blob is compared with.</summary>
    internal void Commit()
    {
        Hosts.Commit();
        Backends.Commit();
        _pending = null;
    }

    /// <summary>The decode failed: keep comparing with the last good blob.</summary>
    internal void Abandon()
    {
        Hosts.Abandon();
        Backends.Abandon();
        _pending = null;
    }

    internal byte[] Payload => _pending ?? throw new InvalidOperationException("No decode in progress.");
}

/// <summary>Elements of one array of the last blob, keyed by their encoded bytes.</summary>
internal sealed class ElementCache<T>
    where T : class
{
    private Dictionary<EncodedSlice, T> _previous = new(EncodedSlice.Comparer.Instance);
    private Dictionary<EncodedSlice, T> _next = new(EncodedSlice.Comparer.Instance);

    private int _reused;

    public int LastReused { get; private set; }

    public void Begin()
    {
        _next.Clear();
        _next.EnsureCapacity(_previous.Count);
        _reused = 0;
    }

    public bool TryGet(in EncodedSlice slice, out T value)
    {
        if (_previous.TryGetValue(slice, out value!))
        {
            _reused++;
            return true;
        }

        return false;
    }

    public void Add(in EncodedSlice slice, T value) => _next.TryAdd(slice, value);

    public void Commit()
    {
        (_previous, _next) = (_next, _previous);
        _next.Clear();
        LastReused = _reused;
    }

    public void Abandon() => _next.Clear();
}

/// <summary>A range of a payload, compared by content; the hash is computed once.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly struct EncodedSlice
{
    private readonly byte[] _payload;
    private readonly int _offset;
    private readonly int _length;
    private readonly int _hash;

    public EncodedSlice(byte[] payload, int offset, int length)
    {
        _payload = payload;
        _offset = offset;
        _length = length;
        var hash = default(HashCode);
        hash.AddBytes(Span);
        _hash = hash.ToHashCode();
    }

    public ReadOnlySpan<byte> Span => _payload.AsSpan(_offset, _length);

    public sealed class Comparer : IEqualityComparer<EncodedSlice>
    {
        public static Comparer Instance { get; } = new();

        public bool Equals(EncodedSlice x, EncodedSlice y) => x._hash == y._hash && x._length == y._length && x.Span.SequenceEqual(y.Span);

        public int GetHashCode(EncodedSlice obj) => obj._hash;
    }
}
