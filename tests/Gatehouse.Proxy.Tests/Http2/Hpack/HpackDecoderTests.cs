using Gatehouse.Proxy.Http2.Hpack;
using static Gatehouse.Tests.Http2.Hpack.HpackRfcExampleTests;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HpackDecoderTests
{
    private const byte WithIndexing = 0x40;
    private const byte WithoutIndexing = 0x00;
    private const byte NeverIndexed = 0x10;

    [Fact]
    public void AnEmptyBlockHasNoFields()
    {
        var sink = new RecordingSink();
        Assert.True(new HpackDecoder().Decode([], sink));
        Assert.Empty(sink.Fields);
    }

    [Fact]
    public void HuffmanNameAndValueOfOneFieldDoNotOverwriteEachOther()
    {
        var decoder = new HpackDecoder();
        var block = new HeaderBlockBuilder()
            .Literal(WithoutIndexing, "x-first-name", "first value", huffman: true)
            .Literal(NeverIndexed, "x-second", "second, longer value", huffman: true)
            .Literal(WithIndexing, "x-third", "third", huffman: true)
            .ToArray();

        var sink = new RecordingSink();
        Assert.True(decoder.Decode(block, sink));

        Assert.Equal([("x-first-name", "first value"), ("x-second", "second, longer value"), ("x-third", "third")], sink.Fields);
        AssertTable(decoder, 7 + 5 + 32, ("x-third", "third"));
    }

    [Fact]
    public void LongHuffmanStringsGrowTheScratchBuffers()
    {
        var decoder = new HpackDecoder();
        var longName = "x-" + new string('n', 3000);
        var longValue = string.Concat(Enumerable.Range(0, 2000).Select(i => (char)('a' + (i % 26))));
        var block = new HeaderBlockBuilder()
            .Literal(WithoutIndexing, "x-short", "v", huffman: true)
            .Literal(WithoutIndexing, longName, longValue, huffman: true)
            .ToArray();

        var sink = new RecordingSink();
        Assert.True(decoder.Decode(block, sink));

        Assert.Equal([("x-short", "v"), (longName, longValue)], sink.Fields);
    }

    [Fact]
    public void IndexedNameFromAnEntryThatIsEvictedByTheInsertionStillNamesTheNewEntry()
    {
        // 64 bytes hold one "x-a" entry (36 or 37 bytes) but not two: inserting the second evicts the first,
        // whose name the second borrows (RFC 7541 section 4.4).
        var decoder = new HpackDecoder(maxDynamicTableSize: 64);
        Assert.Equal([("x-a", "1")], Decode(decoder, ToHex(new HeaderBlockBuilder().Literal(WithIndexing, "x-a", "1"))));

        var fields = Decode(decoder, ToHex(new HeaderBlockBuilder().LiteralIndexedName(WithIndexing, 62, "22")));

        Assert.Equal([("x-a", "22")], fields);
        AssertTable(decoder, 37, ("x-a", "22"));
    }

    [Fact]
    public void AnEntryLargerThanTheTableEmptiesItAndIsStillAField()
    {
        var decoder = new HpackDecoder(maxDynamicTableSize: 64);
        var value = new string('v', 40);

        var fields = Decode(decoder, ToHex(new HeaderBlockBuilder().Literal(WithIndexing, "x-a", "1").Literal(WithIndexing, "x-b", value)));

        Assert.Equal([("x-a", "1"), ("x-b", value)], fields);
        AssertTable(decoder, 0);
    }

    [Fact]
    public void TableSizeUpdatesAtTheStartEvictAndSeveralAreAllowed()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, ToHex(new HeaderBlockBuilder().Literal(WithIndexing, "x-a", "1").Literal(WithIndexing, "x-b", "2")));
        AssertTable(decoder, 72, ("x-b", "2"), ("x-a", "1"));

        // Down to 40 (only x-b fits), then 0, then back up to 4096, then a field.
        var fields = Decode(decoder, ToHex(new HeaderBlockBuilder().TableSizeUpdate(40).TableSizeUpdate(0).TableSizeUpdate(4096).Indexed(2)));

        Assert.Equal([(":method", "GET")], fields);
        AssertTable(decoder, 0);
        Assert.Equal(4096, decoder.DynamicTable.MaxSize);

        decoder = new HpackDecoder();
        Decode(decoder, ToHex(new HeaderBlockBuilder().Literal(WithIndexing, "x-a", "1").Literal(WithIndexing, "x-b", "2")));
        Decode(decoder, ToHex(new HeaderBlockBuilder().TableSizeUpdate(40)));
        AssertTable(decoder, 36, ("x-b", "2"));
    }

    [Fact]
    public void IndexZeroIsRejected()
    {
        AssertRejected("80", "index 0");
        AssertRejected("82 80", "index 0");
    }

    [Fact]
    public void IndexPastTheTablesIsRejected()
    {
        AssertRejected("be", "HPACK: index 62 is beyond the dynamic table (0 entries).");

        var decoder = new HpackDecoder();
        Decode(decoder, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        Decode(decoder, "8286 84be 5808 6e6f 2d63 6163 6865");
        Decode(decoder, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");

        // 61 static + 3 dynamic: 64 is the last valid index.
        Assert.Equal([(":authority", "www.example.com")], Decode(decoder, "c0"));
        var error = Assert.Throws<HpackDecodingException>(() => decoder.Decode(Hex.Bytes("c6"), new RecordingSink()));
        Assert.Equal("HPACK: index 70 is beyond the dynamic table (3 entries).", error.Message);
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Hex.Bytes("c1"), new RecordingSink()));

        // An indexed name past the tables, with incremental indexing and without.
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Hex.Bytes("7f 02 01 61"), new RecordingSink()));
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Hex.Bytes("0f 32 01 61"), new RecordingSink()));
    }

    [Fact]
    public void TableSizeUpdateAboveTheAdvertisedSizeIsRejected()
    {
        var decoder = new HpackDecoder(maxDynamicTableSize: 4096);
        Assert.True(decoder.Decode(Hex.Bytes("3f e1 1f"), new RecordingSink())); // exactly 4096

        var error = Assert.Throws<HpackDecodingException>(() => decoder.Decode(Hex.Bytes("3f e2 1f"), new RecordingSink())); // 4097
        Assert.Contains("4097", error.Message);

        Assert.Throws<HpackDecodingException>(() => new HpackDecoder(maxDynamicTableSize: 256).Decode(Hex.Bytes("3f e2 01"), new RecordingSink()));
    }

    [Fact]
    public void TableSizeUpdateAfterAFieldIsRejected()
    {
        var error = Assert.Throws<HpackDecodingException>(() => new HpackDecoder().Decode(Hex.Bytes("82 20"), new RecordingSink()));
        Assert.Contains("after a header field", error.Message);

        AssertRejected("20 82 3f e1 1f", "after a header field");
    }

    [Theory]
    [InlineData("1f ff ff ff ff ff 0f")] // never indexed, name index overflows
    [InlineData("ff ff ff ff ff ff 0f")] // indexed
    [InlineData("3f ff ff ff ff ff 0f")] // table size update
    [InlineData("00 7f ff ff ff ff 0f")] // name string length
    public void IntegerOverflowIsRejected(string hex) => AssertRejected(hex, "integer");

    [Theory]
    [InlineData("00 05 61 62")]       // name of 5 bytes, 2 present
    [InlineData("04 05 2f 61")]       // :path value of 5 bytes, 2 present
    [InlineData("40 01 61 85 aa bb")] // Huffman value of 5 bytes, 2 present
    public void StringLengthPastTheEndIsRejected(string hex) => AssertRejected(hex, "runs past the end");

    [Theory]
    [InlineData("00")]                     // new-name literal, nothing after
    [InlineData("04")]                     // indexed-name literal without its value
    [InlineData("40 0a 63 75 73 74 6f 6d 2d 6b 65 79")] // a name but no value
    [InlineData("8286 8441")]              // :authority without its value after complete fields
    [InlineData("82 ff")]                  // an index cut inside its integer
    public void TruncatedBlockIsRejected(string hex) => AssertRejected(hex, "ends");

    [Fact]
    public void BadHuffmanInAFieldIsRejected()
    {
        AssertRejected("04 81 00", "padding");     // '0' and three zero bits
        AssertRejected("04 84 ff ff ff ff", "EOS"); // EOS
    }

    [Fact]
    public void HeaderListLimitStopsTheSinkButNotTheTable()
    {
        // :method GET is 42 bytes, x-a: 1234567890 is 45 (87 in all), x-b: abc is 38 (125 in all).
        var decoder = new HpackDecoder(maxHeaderListSize: 100);
        var block = new HeaderBlockBuilder()
            .Indexed(2)
            .Literal(WithIndexing, "x-a", "1234567890")
            .Literal(WithIndexing, "x-b", "abc", huffman: true)
            .Indexed(4)
            .Literal(WithIndexing, "x-c", "after the limit")
            .ToArray();

        var sink = new RecordingSink();
        Assert.False(decoder.Decode(block, sink));

        Assert.Equal([(":method", "GET"), ("x-a", "1234567890")], sink.Fields);
        AssertTable(decoder, 45 + 38 + 50, ("x-c", "after the limit"), ("x-b", "abc"), ("x-a", "1234567890"));

        // The entries inserted past the limit are where the client's encoder expects them (88 bytes, within the limit).
        var next = new RecordingSink();
        Assert.True(decoder.Decode(new HeaderBlockBuilder().Indexed(62).Indexed(63).ToArray(), next));
        Assert.Equal([("x-c", "after the limit"), ("x-b", "abc")], next.Fields);
    }

    [Fact]
    public void AListExactlyAtTheLimitIsWithinIt()
    {
        var decoder = new HpackDecoder(maxHeaderListSize: 87);
        var sink = new RecordingSink();

        Assert.True(decoder.Decode(new HeaderBlockBuilder().Indexed(2).Literal(WithoutIndexing, "x-a", "1234567890").ToArray(), sink));
        Assert.Equal(2, sink.Fields.Count);

        var over = new RecordingSink();
        Assert.False(decoder.Decode(new HeaderBlockBuilder().Indexed(2).Literal(WithoutIndexing, "x-a", "12345678901").ToArray(), over));
        Assert.Equal([(":method", "GET")], over.Fields);
    }

    private static string ToHex(HeaderBlockBuilder builder) => Convert.ToHexString(builder.ToArray());

    private static void AssertRejected(string hex, string messagePart)
    {
        var decoder = new HpackDecoder();
        var error = Assert.Throws<HpackDecodingException>(() => decoder.Decode(Hex.Bytes(hex), new RecordingSink()));
        Assert.Contains(messagePart, error.Message);
    }
}
