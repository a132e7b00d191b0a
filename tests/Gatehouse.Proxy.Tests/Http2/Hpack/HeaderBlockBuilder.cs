using System.Text;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

/// <summary>Builds header blocks field by field for decoder tests (the production encoder writes only one representation).</summary>
internal sealed class HeaderBlockBuilder
{
    private readonly List<byte> _bytes = [];

    public HeaderBlockBuilder Indexed(int index) => Integer(index, 7, 0x80);

    public HeaderBlockBuilder TableSizeUpdate(int size) => Integer(size, 5, 0x20);

    /// <summary>Literal with incremental indexing (0x40), without indexing (0x00) or never indexed (0x10), new name.</summary>
    public HeaderBlockBuilder Literal(byte kind, string name, string value, bool huffman = false) =>
        Integer(0, kind == 0x40 ? 6 : 4, kind).String(name, huffman).String(value, huffman);

    /// <summary>As <see cref="Literal"/>, with the name as a table index.</summary>
    public HeaderBlockBuilder LiteralIndexedName(byte kind, int nameIndex, string value, bool huffman = false) =>
        Integer(nameIndex, kind == 0x40 ? 6 : 4, kind).String(value, huffman);

    public HeaderBlockBuilder String(string text, bool huffman)
    {
        var raw = Encoding.Latin1.GetBytes(text);
        if (!huffman)
        {
            Integer(raw.Length, 7, 0x00);
            _bytes.AddRange(raw);
            return this;
        }

        var encoded = new byte[Huffman.GetEncodedLength(raw)];
        Huffman.Encode(raw, encoded);
        Integer(encoded.Length, 7, 0x80);
        _bytes.AddRange(encoded);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    private HeaderBlockBuilder Integer(int value, int prefixBits, byte flags)
    {
        var buffer = new byte[HpackInteger.MaxEncodedLength];
        _bytes.AddRange(buffer.AsSpan(0, HpackInteger.Encode(value, prefixBits, flags, buffer)));
        return this;
    }
}
