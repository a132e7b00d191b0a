using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>Header blocks the HPACK decoder must refuse (COMPRESSION_ERROR ends the connection), and ones it must understand.</summary>
public sealed class Http2HpackTests
{
    private static byte[] ValidRequest => TestHpackEncoder.Encode(RawHttp2Connection.Request("GET", "/id/a"));

    public static TheoryData<string> BadBlocks => new()
    {
        "table-size-update-above-4096", "indexed-field-0", "indexed-field-beyond-the-table",
        "huffman-padding-not-eos-bits", "huffman-padding-over-7-bits", "string-longer-than-block", "integer-overflow",
    };

    private static byte[] Block(string bad) => bad switch
    {
        // 001xxxxx with a 5-bit prefix: new maximum 4097, above SETTINGS_HEADER_TABLE_SIZE (4096).
        "table-size-update-above-4096" => [.. TestHpackEncoder.Integer(0x20, 5, 4097), .. ValidRequest],
        "indexed-field-0" => [.. ValidRequest, 0x80],

        // The dynamic table is empty: 62 is the first index past the static table; 70 is well past it.
        "indexed-field-beyond-the-table" => [.. ValidRequest, .. TestHpackEncoder.Integer(0x80, 7, 70)],

        // Literal without indexing, new name "x-h", Huffman value of one byte 0x00: the symbol '0' (00000)
        // then padding 000, which is not the EOS code's most significant bits.
        "huffman-padding-not-eos-bits" => [.. ValidRequest, 0x00, 0x03, (byte)'x', (byte)'-', (byte)'h', 0x81, 0x00],

        // '0' + 111 (valid so far), then a whole byte of ones: padding longer than 7 bits.
        "huffman-padding-over-7-bits" => [.. ValidRequest, 0x00, 0x03, (byte)'x', (byte)'-', (byte)'h', 0x82, 0x07, 0xff],
        "string-longer-than-block" => [.. ValidRequest, 0x00, 0x03, (byte)'x', (byte)'-', (byte)'h', 0x10, (byte)'v'],
        "integer-overflow" => [.. ValidRequest, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        _ => throw new ArgumentOutOfRangeException(nameof(bad)),
    };

    [Theory]
    [MemberData(nameof(BadBlocks))]
    public async Task UndecodableHeaderBlockIsACompressionError(string bad)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendHeaderBlockAsync(1, Block(bad), endStream: true);

        Assert.Equal(H2.ErrorName(H2.CompressionError), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
        Assert.Equal(0, setup.Backend.Count);
    }

    [Fact]
    public async Task HuffmanStringsAndTheDynamicTableAreDecodedAcrossRequests()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        // RFC 7541 C.4.1: GET http://www.example.com/ with the authority Huffman-coded and added to the
        // dynamic table (index 62).
        byte[] first = [0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff];

        // C.4.2: the same, the authority now by dynamic index 62, plus "cache-control: no-cache" (Huffman, indexed).
        byte[] second = [0x82, 0x86, 0x84, 0xbe, 0x58, 0x86, 0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf];

        await connection.SendHeaderBlockAsync(1, first, endStream: true);
        Assert.Equal(200, (await connection.ReadResponseAsync(1)).Status);
        await connection.SendHeaderBlockAsync(3, second, endStream: true);
        Assert.Equal(200, (await connection.ReadResponseAsync(3)).Status);

        var received = setup.Backend.Received.ToList();
        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.Equal(("GET", "/", "www.example.com"), (r.Method, r.Target, r.Headers["host"].Single())));
        Assert.Equal("no-cache", received[1].Headers["cache-control"].Single());
    }
}
