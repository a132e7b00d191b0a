using System.Buffers;
using System.Text;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Every framing the decoder refuses, each at the byte that makes it wrong, whether the bytes arrive
/// together or one at a time.
/// </summary>
public sealed class Http1ChunkedRejectionTests
{
    private const string Size = "invalid chunk-size";
    private const string Overflow = "chunk-size too large";
    private const string Ext = "invalid chunk-ext";
    private const string LineEnd = "chunk line not ended by CRLF";
    private const string DataEnd = "chunk-data not followed by CRLF";
    private const string Trailer = "invalid trailer field";

    [Theory]
    // chunk-size: 1*HEXDIG and nothing else before ';' or CRLF.
    [InlineData("\r\n", Size, 0)]
    [InlineData("\n", Size, 0)]
    [InlineData(";a\r\n", Size, 0)]
    [InlineData("+5\r\n", Size, 0)]
    [InlineData("-5\r\n", Size, 0)]
    [InlineData("5-\r\n", Size, 1)]
    [InlineData("0x5\r\n", Size, 1)]
    [InlineData(" 5\r\n", Size, 0)]
    [InlineData("\t5\r\n", Size, 0)]
    [InlineData("5 \r\n", Size, 1)]
    [InlineData("5\t\r\n", Size, 1)]
    [InlineData("5 ;a\r\n", Size, 1)]
    [InlineData("5\t;a\r\n", Size, 1)]
    [InlineData("g\r\n", Size, 0)]
    [InlineData("5g\r\n", Size, 1)]
    [InlineData("5,6\r\n", Size, 1)]
    [InlineData("5\u0000\r\n", Size, 1)]
    // More than 16 significant digits, or over long.MaxValue.
    [InlineData("10000000000000000\r\n", Overflow, 16)]
    [InlineData("000010000000000000000\r\n", Overflow, 20)]
    [InlineData("8000000000000000\r\n", Overflow, 15)]
    [InlineData("FFFFFFFFFFFFFFFF\r\n", Overflow, 15)]
    // Lines end in CRLF: no bare LF, no CR before anything else.
    [InlineData("5\nhello\r\n0\r\n\r\n", LineEnd, 1)]
    [InlineData("5\rhello\r\n0\r\n\r\n", LineEnd, 2)]
    [InlineData("5\r\r\n", LineEnd, 2)]
    [InlineData("5;a\n", LineEnd, 3)]
    [InlineData("5;a=b\n", LineEnd, 5)]
    [InlineData("5;a=\"b\"\n", LineEnd, 7)]
    [InlineData("0\n\r\n", LineEnd, 1)]
    [InlineData("0\r\n\n", LineEnd, 3)]
    [InlineData("0\r\n\rx", LineEnd, 4)]
    [InlineData("0\r\na:b\n\r\n", LineEnd, 6)]
    [InlineData("0\r\na:b\rx\r\n\r\n", LineEnd, 7)]
    [InlineData("0\r\na:b\r\n\n", LineEnd, 8)]
    // chunk-ext: ;token[=token/quoted-string], BWS only where the grammar has it.
    [InlineData("5;\r\n", Ext, 2)]
    [InlineData("5;=a\r\n", Ext, 2)]
    [InlineData("5;a=\r\n", Ext, 4)]
    [InlineData("5;a;\r\n", Ext, 4)]
    [InlineData("5;a==b\r\n", Ext, 4)]
    [InlineData("5;a=b=c\r\n", Ext, 5)]
    [InlineData("5;a=b c\r\n", Ext, 6)]
    [InlineData("5;a \r\n", Ext, 4)]
    [InlineData("5;a=b \r\n", Ext, 6)]
    [InlineData("5;a=\"b\" \r\n", Ext, 8)]
    [InlineData("5;a=\"b\" c\r\n", Ext, 8)]
    [InlineData("5;a=\"b\"x\r\n", Ext, 7)]
    [InlineData("5;a=\"b\"\"c\"\r\n", Ext, 7)]
    [InlineData("5;a@b\r\n", Ext, 3)]
    [InlineData("5;a\u00e9\r\n", Ext, 3)]
    [InlineData("5;a=b\u0000\r\n", Ext, 5)]
    [InlineData("5;a=b\"\r\n", Ext, 5)]
    [InlineData("5;a=\"b\r\n", Ext, 6)]
    [InlineData("5;a=\"b\nc\"\r\n", Ext, 6)]
    [InlineData("5;a=\"b\u0001\"\r\n", Ext, 6)]
    [InlineData("5;a=\"b\u007f\"\r\n", Ext, 6)]
    [InlineData("5;a=\"\\\u0001\"\r\n", Ext, 6)]
    [InlineData("5;a=\"\\\r\n", Ext, 6)]
    [InlineData("5;a=\"\\\n\"\r\n", Ext, 6)]
    [InlineData("5; \r\n", Ext, 3)]
    // The CRLF after the data is exactly CRLF: data longer or shorter than the size is refused.
    [InlineData("5\r\nhello!\r\n0\r\n\r\n", DataEnd, 8)]
    [InlineData("5\r\nhell\r\n0\r\n\r\n", DataEnd, 8)]
    [InlineData("5\r\nhello\n0\r\n\r\n", DataEnd, 8)]
    [InlineData("5\r\nhello\rx", DataEnd, 9)]
    [InlineData("5\r\nhello\r\r\n", DataEnd, 9)]
    [InlineData("5\r\nhello0\r\n\r\n", DataEnd, 8)]
    // Trailer fields: token name, ':' right after it, no obs-fold, no CTLs in the value.
    [InlineData("0\r\n a:b\r\n\r\n", Trailer, 3)]
    [InlineData("0\r\n\ta:b\r\n\r\n", Trailer, 3)]
    [InlineData("0\r\na:b\r\n c\r\n\r\n", Trailer, 8)]
    [InlineData("0\r\na :b\r\n\r\n", Trailer, 4)]
    [InlineData("0\r\na\t:b\r\n\r\n", Trailer, 4)]
    [InlineData("0\r\n:b\r\n\r\n", Trailer, 3)]
    [InlineData("0\r\na\r\n\r\n", Trailer, 4)]
    [InlineData("0\r\na(b:c\r\n\r\n", Trailer, 4)]
    [InlineData("0\r\na\u00e9:b\r\n\r\n", Trailer, 4)]
    [InlineData("0\r\na:b\u0000c\r\n\r\n", Trailer, 6)]
    [InlineData("0\r\na:b\u0001\r\n\r\n", Trailer, 6)]
    [InlineData("0\r\na:b\u007fc\r\n\r\n", Trailer, 6)]
    public void IsRejected(string wire, string reason, int at)
    {
        var bytes = Encoding.Latin1.GetBytes(wire);
        foreach (var segments in new[] { [bytes], SegmentedSequence.Bytewise(bytes) })
        {
            var decoder = new Http1ChunkedDecoder(new Http1Limits());
            var result = ChunkedBodyReader.Read(decoder, segments, ChunkedBodyReader.All);

            Assert.Equal(Http1ChunkedStatus.Rejected, result.Status);
            Assert.Equal(new Http1Rejection(400, reason), result.Rejection);
            Assert.Equal(at, result.Consumed);
        }
    }

    [Fact]
    public void StaysRejected()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        Assert.Equal(Http1ChunkedStatus.Rejected, decoder.Decode(new("5 \r\n"u8.ToArray()), out _, out _, out var first));

        var valid = new ReadOnlySequence<byte>("0\r\n\r\n"u8.ToArray());
        Assert.Equal(Http1ChunkedStatus.Rejected, decoder.Decode(valid, out var framingEnd, out _, out var again));
        Assert.Equal(first, again);
        Assert.Equal(valid.Start, framingEnd);
    }

    [Theory]
    [InlineData("7FFFFFFFFFFFFFFF\r\n")]
    [InlineData("7fffffffffffffff\r\n")]
    [InlineData("00000007fffffffffffffff\r\n")]
    [InlineData("0000000000000000000000000001\r\n")]
    public void SizesUpToLongMaxValueAreAccepted(string line)
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        var input = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(line + "x"));
        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(input, out var framingEnd, out var data, out _));
        Assert.Equal(line.Length, input.Slice(0, framingEnd).Length);
        Assert.Equal("x"u8.ToArray(), data.ToArray());
    }
}
