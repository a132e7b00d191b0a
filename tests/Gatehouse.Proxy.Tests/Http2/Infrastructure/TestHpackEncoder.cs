using System.Text;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>
/// The smallest HPACK encoder a test needs (RFC 7541): every field a literal without indexing with a
/// new name, no Huffman, so the block is exactly what the test wrote, uppercase names and all.
/// </summary>
internal static class TestHpackEncoder
{
    public static byte[] Encode(IEnumerable<(string Name, string Value)> fields)
    {
        var block = new List<byte>();
        foreach (var (name, value) in fields)
        {
            block.Add(0x00);
            WriteString(block, Encoding.Latin1.GetBytes(name));
            WriteString(block, Encoding.Latin1.GetBytes(value));
        }

        return [.. block];
    }

    public static byte[] Encode(params (string Name, string Value)[] fields) => Encode((IEnumerable<(string, string)>)fields);

    /// <summary>A non-Huffman string literal: 7-bit-prefix length, then the bytes.</summary>
    public static void WriteString(List<byte> block, ReadOnlySpan<byte> bytes)
    {
        WriteInteger(block, 0x00, 7, bytes.Length);
        foreach (var b in bytes)
        {
            block.Add(b);
        }
    }

    /// <summary>RFC 7541 section 5.1: <paramref name="value"/> in an N-bit prefix whose other bits are <paramref name="firstByteBits"/>.</summary>
    public static void WriteInteger(List<byte> block, byte firstByteBits, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(firstByteBits | value));
            return;
        }

        block.Add((byte)(firstByteBits | max));
        value -= max;
        while (value >= 128)
        {
            block.Add((byte)((value & 0x7f) | 0x80));
            value >>= 7;
        }

        block.Add((byte)value);
    }

    public static byte[] Integer(byte firstByteBits, int prefixBits, int value)
    {
        var block = new List<byte>();
        WriteInteger(block, firstByteBits, prefixBits, value);
        return [.. block];
    }
}
