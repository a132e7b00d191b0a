using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>
/// RFC 7541 section 5.1 prefixed integers: the low bits of a first octet, then 7 bits per continuation octet,
/// least significant group first.
/// </summary>
internal static class HpackInteger
{
    /// <summary>The first octet and five continuation octets: enough for int.MaxValue with any prefix.</summary>
    public const int MaxEncodedLength = 6;

    private const int MaxContinuationBytes = MaxEncodedLength - 1;

    public static int GetEncodedLength(int value, int prefixBits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var prefixMax = (1 << prefixBits) - 1;
        if (value < prefixMax)
        {
            return 1;
        }

        var rest = (uint)(value - prefixMax);
        var length = 2;
        while (rest >= 0x80)
        {
            rest >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>
    /// Writes <paramref name="value"/> into the low <paramref name="prefixBits"/> bits of the first octet,
    /// whose high bits are <paramref name="flags"/>. Returns the octets written.
    /// </summary>
    public static int Encode(int value, int prefixBits, byte flags, Span<byte> destination)
    {
        if (destination.Length < GetEncodedLength(value, prefixBits))
        {
            throw new ArgumentException($"HPACK: {destination.Length} bytes cannot hold the integer {value}.", nameof(destination));
        }

        var prefixMax = (1 << prefixBits) - 1;
        if (value < prefixMax)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | prefixMax);
        var rest = (uint)(value - prefixMax);
        var position = 1;
        while (rest >= 0x80)
        {
            destination[position++] = (byte)(rest | 0x80);
            rest >>= 7;
        }

        destination[position++] = (byte)rest;
        return position;
    }

    /// <summary>
    /// Reads an integer whose prefix is the low <paramref name="prefixBits"/> bits of <paramref name="source"/>[0].
    /// A header block is always complete when it is decoded, so running out of octets is malformed input.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, int prefixBits, out int bytesConsumed)
    {
        if (source.IsEmpty)
        {
            ThrowTruncated();
        }

        var prefixMax = (1 << prefixBits) - 1;
        var value = source[0] & prefixMax;
        if (value < prefixMax)
        {
            bytesConsumed = 1;
            return value;
        }

        // long, so that the 5th continuation octet (shifted by 28) cannot wrap before the range check.
        long accumulated = value;
        var shift = 0;
        for (var position = 1; ; position++)
        {
            if (position >= source.Length)
            {
                ThrowTruncated();
            }

            if (position > MaxContinuationBytes)
            {
                throw new HpackDecodingException($"HPACK: integer encoding is longer than {MaxEncodedLength} bytes.");
            }

            var octet = source[position];
            accumulated += (long)(octet & 0x7F) << shift;
            if (accumulated > int.MaxValue)
            {
                throw new HpackDecodingException($"HPACK: integer is larger than {int.MaxValue}.");
            }

            if ((octet & 0x80) == 0)
            {
                bytesConsumed = position + 1;
                return (int)accumulated;
            }

            shift += 7;
        }
    }

    [DoesNotReturn]
    private static void ThrowTruncated() =>
        throw new HpackDecodingException("HPACK: the header block ends inside an integer.");
}
