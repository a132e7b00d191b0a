using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>
/// Decodes the header blocks of one HTTP/2 connection (RFC 7541). One instance per connection: its dynamic table
/// follows the client's encoder from block to block. Any malformed input is an <see cref="HpackDecodingException"/>,
/// after which the table is out of step and the connection must end with COMPRESSION_ERROR.
/// </summary>
internal sealed class HpackDecoder
{
    private const byte IndexedFieldMask = 0x80;
    private const byte LiteralWithIndexingMask = 0xC0;
    private const byte LiteralWithIndexingPattern = 0x40;
    private const byte TableSizeUpdateMask = 0xE0;
    private const byte TableSizeUpdatePattern = 0x20;
    private const byte HuffmanFlag = 0x80;
    private const int IndexedFieldPrefixBits = 7;
    private const int LiteralWithIndexingPrefixBits = 6;
    private const int TableSizeUpdatePrefixBits = 5;
    private const int LiteralWithoutIndexingPrefixBits = 4;
    private const int StringLengthPrefixBits = 7;

    private readonly HpackDynamicTable _table;
    private readonly int _maxDynamicTableSize;
    private readonly int _maxHeaderListSize;

    // A name and a value of one field may both be Huffman-coded, and both are passed to the sink together.
    private byte[] _nameScratch = [];
    private byte[] _valueScratch = [];

    /// <param name="maxDynamicTableSize">The SETTINGS_HEADER_TABLE_SIZE advertised to the client.</param>
    /// <param name="maxHeaderListSize">The SETTINGS_MAX_HEADER_LIST_SIZE advertised to the client.</param>
    public HpackDecoder(int maxDynamicTableSize = 4096, int maxHeaderListSize = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxDynamicTableSize = maxDynamicTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        _table = new HpackDynamicTable(maxDynamicTableSize);
    }

    /// <summary>The connection's dynamic table; read it, never change it (diagnostics and tests).</summary>
    public HpackDynamicTable DynamicTable => _table;

    /// <summary>
    /// Decodes one complete header block (the HEADERS payload and its CONTINUATIONs, joined), passing each field
    /// to <paramref name="sink"/>. Returns false when the fields exceeded the header list limit (name + value + 32
    /// octets each): the block is still decoded to its end, so that the dynamic table stays in step with the
    /// client's encoder, but the field that crossed the limit and all after it are not passed to the sink.
    /// </summary>
    /// <exception cref="HpackDecodingException">The block is malformed.</exception>
    public bool Decode(ReadOnlySpan<byte> block, IHpackHeaderSink sink)
    {
        var position = 0;
        var fieldSeen = false;
        long listSize = 0;
        var withinLimit = true;
        while (position < block.Length)
        {
            var first = block[position];
            ReadOnlySpan<byte> name;
            ReadOnlySpan<byte> value;
            if ((first & IndexedFieldMask) != 0)
            {
                var index = HpackInteger.Decode(block[position..], IndexedFieldPrefixBits, out var consumed);
                position += consumed;
                name = GetName(index);
                value = GetValue(index);
            }
            else if ((first & LiteralWithIndexingMask) == LiteralWithIndexingPattern)
            {
                position = ReadLiteral(block, position, LiteralWithIndexingPrefixBits, out name, out value);
                _table.Insert(name, value);
            }
            else if ((first & TableSizeUpdateMask) == TableSizeUpdatePattern)
            {
                position = ReadTableSizeUpdate(block, position, fieldSeen);
                continue;
            }
            else
            {
                // 0000xxxx without indexing and 0001xxxx never indexed: the same for a decoder that re-encodes
                // nothing (the proxy forwards requests over HTTP/1.1).
                position = ReadLiteral(block, position, LiteralWithoutIndexingPrefixBits, out name, out value);
            }

            fieldSeen = true;
            if (withinLimit)
            {
                listSize += HpackDynamicTable.GetEntrySize(name.Length, value.Length);
                if (listSize > _maxHeaderListSize)
                {
                    withinLimit = false;
                }
                else
                {
                    sink.OnHeader(name, value);
                }
            }
        }

        return withinLimit;
    }

    private int ReadTableSizeUpdate(ReadOnlySpan<byte> block, int position, bool fieldSeen)
    {
        // RFC 7541 section 4.2: only at the beginning of a block; several in a row are allowed.
        if (fieldSeen)
        {
            throw new HpackDecodingException("HPACK: dynamic table size update after a header field (allowed only at the start of a block).");
        }

        var size = HpackInteger.Decode(block[position..], TableSizeUpdatePrefixBits, out var consumed);
        if (size > _maxDynamicTableSize)
        {
            throw new HpackDecodingException(
                $"HPACK: dynamic table size update to {size} bytes exceeds the {_maxDynamicTableSize} allowed by SETTINGS_HEADER_TABLE_SIZE.");
        }

        _table.SetMaxSize(size);
        return position + consumed;
    }

    private int ReadLiteral(ReadOnlySpan<byte> block, int position, int prefixBits, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var nameIndex = HpackInteger.Decode(block[position..], prefixBits, out var consumed);
        position += consumed;
        if (nameIndex == 0)
        {
            position = ReadString(block, position, ref _nameScratch, out name);
        }
        else
        {
            name = GetName(nameIndex);
        }

        return ReadString(block, position, ref _valueScratch, out value);
    }

    private static int ReadString(ReadOnlySpan<byte> block, int position, ref byte[] scratch, out ReadOnlySpan<byte> text)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("HPACK: the header block ends before a string literal.");
        }

        var huffman = (block[position] & HuffmanFlag) != 0;
        var length = HpackInteger.Decode(block[position..], StringLengthPrefixBits, out var consumed);
        position += consumed;
        var remaining = block.Length - position;
        if (length > remaining)
        {
            throw new HpackDecodingException(
                $"HPACK: string literal of {length} bytes runs past the end of the header block ({remaining} bytes left).");
        }

        var encoded = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            text = encoded;
            return position;
        }

        var maxDecodedLength = Huffman.GetMaxDecodedLength(length);
        if (scratch.Length < maxDecodedLength)
        {
            // Doubling avoids a reallocation per slightly longer string; the block's own bound caps what a client can make us hold.
            var doubled = Math.Min((long)scratch.Length * 2, Huffman.GetMaxDecodedLength(block.Length));
            scratch = new byte[Math.Max(maxDecodedLength, (int)doubled)];
        }

        text = scratch.AsSpan(0, Huffman.Decode(encoded, scratch));
        return position;
    }

    private ReadOnlySpan<byte> GetName(int index)
    {
        if (index <= HpackStaticTable.Count)
        {
            return HpackStaticTable.GetName(CheckNotZero(index));
        }

        return _table.GetName(DynamicIndex(index));
    }

    private ReadOnlySpan<byte> GetValue(int index)
    {
        if (index <= HpackStaticTable.Count)
        {
            return HpackStaticTable.GetValue(CheckNotZero(index));
        }

        return _table.GetValue(DynamicIndex(index));
    }

    private static int CheckNotZero(int index)
    {
        if (index == 0)
        {
            ThrowIndexZero();
        }

        return index;
    }

    private int DynamicIndex(int index)
    {
        var dynamicIndex = index - HpackStaticTable.Count;
        if (dynamicIndex > _table.Count)
        {
            throw new HpackDecodingException($"HPACK: index {index} is beyond the dynamic table ({_table.Count} entries).");
        }

        return dynamicIndex;
    }

    [DoesNotReturn]
    private static void ThrowIndexZero() => throw new HpackDecodingException("HPACK: index 0 is not a table entry.");
}
