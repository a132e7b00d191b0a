using System.Text;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>
/// Decodes the server's response header blocks: static-table indexed fields and literals (without
/// indexing, never indexed, incremental) with indexed or literal names and plain strings. Huffman and
/// dynamic-table references fail loudly: the server is specified never to send them.
/// </summary>
internal static class TestHpackDecoder
{
    public static List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<(string, string)>();
        var i = 0;
        while (i < block.Length)
        {
            var b = block[i];
            if ((b & 0x80) != 0)
            {
                fields.Add(HpackStaticTable.Get(ReadInteger(block, ref i, 7)));
            }
            else if ((b & 0xc0) == 0x40)
            {
                fields.Add(ReadLiteral(block, ref i, 6));
            }
            else if ((b & 0xe0) == 0x20)
            {
                // Dynamic table size update: nothing to track, the table is never used.
                ReadInteger(block, ref i, 5);
            }
            else
            {
                // 0000xxxx without indexing, 0001xxxx never indexed.
                fields.Add(ReadLiteral(block, ref i, 4));
            }
        }

        return fields;
    }

    private static (string, string) ReadLiteral(ReadOnlySpan<byte> block, ref int i, int prefixBits)
    {
        var nameIndex = ReadInteger(block, ref i, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref i) : HpackStaticTable.Get(nameIndex).Name;
        return (name, ReadString(block, ref i));
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int i)
    {
        if (i >= block.Length)
        {
            throw new HpackTestDecodingException("header block ends inside a field");
        }

        if ((block[i] & 0x80) != 0)
        {
            throw new HpackTestDecodingException("Huffman-encoded string in a response header block (the server is specified not to use Huffman)");
        }

        var length = ReadInteger(block, ref i, 7);
        if (length > block.Length - i)
        {
            throw new HpackTestDecodingException("string literal longer than the header block");
        }

        var value = Encoding.Latin1.GetString(block.Slice(i, length));
        i += length;
        return value;
    }

    private static int ReadInteger(ReadOnlySpan<byte> block, ref int i, int prefixBits)
    {
        var max = (1 << prefixBits) - 1;
        var value = block[i++] & max;
        if (value < max)
        {
            return value;
        }

        var shift = 0;
        while (true)
        {
            if (i >= block.Length || shift > 28)
            {
                throw new HpackTestDecodingException("truncated or oversized HPACK integer");
            }

            var b = block[i++];
            value += (b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
