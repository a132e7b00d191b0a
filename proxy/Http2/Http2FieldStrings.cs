using System.Text;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// Per connection: the strings made from recent field names and values, so a client sending the same
/// user-agent or accept on every request gets the same string back instead of a new one each time.
/// A small direct-mapped table: a miss costs one allocation, as it would without the cache.
/// </summary>
internal sealed class Http2FieldStrings
{
    private const int Slots = 64;
    private const int MaxCachedLength = 256;

    private readonly string?[] _strings = new string?[Slots];

    public string Get(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        if (bytes.Length > MaxCachedLength)
        {
            return Encoding.Latin1.GetString(bytes);
        }

        var slot = (int)(Hash(bytes) & (Slots - 1));
        var cached = _strings[slot];
        if (cached is not null && Forwarding.Latin1Text.EqualsBytes(cached, bytes))
        {
            return cached;
        }

        var created = Encoding.Latin1.GetString(bytes);
        _strings[slot] = created;
        return created;
    }

    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        // Length and a few bytes from both ends: enough to spread a connection's few dozen values.
        var hash = (uint)bytes.Length * 2654435761u;
        hash ^= bytes[0] * 31u;
        hash ^= (uint)bytes[^1] << 8;
        hash ^= (uint)bytes[bytes.Length / 2] << 16;
        if (bytes.Length > 8)
        {
            hash ^= (uint)bytes[4] << 24;
            hash ^= (uint)bytes[^5] * 7919u;
        }

        return hash ^ (hash >> 15);
    }
}
