using System.Text;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

/// <summary>MaxChunkLineSize and MaxTrailersTotalSize: exactly at the limit is read, one byte over is refused at that byte.</summary>
public sealed class Http1ChunkedLimitTests
{
    private const int LineLimit = 4 * 1024;
    private const int TrailerLimit = 16 * 1024;

    [Fact]
    public void DefaultsAreTheContractsOnes()
    {
        var limits = new Http1Limits();
        Assert.Equal(LineLimit, limits.MaxChunkLineSize);
        Assert.Equal(TrailerLimit, limits.MaxTrailersTotalSize);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void AChunkLineOfExactlyTheLimitIsRead(int over)
    {
        // "1;" + name + CRLF: the line's length counts the size, the extension and the CRLF.
        var line = "1;" + new string('e', LineLimit - 4 + over) + "\r\n";
        var wire = line + "x\r\n0\r\n\r\n";

        AssertLimit(wire, over, "chunk-size line too long", LineLimit);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void LeadingZerosCountTowardsTheLine(int over)
    {
        var wire = new string('0', LineLimit - 3 + over) + "1\r\nx\r\n0\r\n\r\n";
        AssertLimit(wire, over, "chunk-size line too long", LineLimit);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void TheLastChunkLineHasTheSameLimit(int over)
    {
        var wire = "1\r\nx\r\n0;q=\"" + new string('q', LineLimit - 8 + over) + "\"\r\n\r\n";
        AssertLimit(wire, over, "chunk-size line too long", 6 + LineLimit);
    }

    [Fact]
    public void TheLimitIsPerLine()
    {
        var line = "1;" + new string('e', LineLimit - 4) + "\r\n";
        var wire = Encoding.ASCII.GetBytes(line + "x\r\n" + line + "y\r\n" + line.Replace("1;", "0;", StringComparison.Ordinal) + "\r\n");
        var result = ChunkedBodyReader.Read(new Http1ChunkedDecoder(new Http1Limits()), [wire], ChunkedBodyReader.All);

        Assert.Equal(Http1ChunkedStatus.Done, result.Status);
        Assert.Equal("xy"u8.ToArray(), result.Body);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ATrailerSectionOfExactlyTheLimitIsRead(int over)
    {
        // The trailer section is everything after the last-chunk line, its final empty line included.
        var value = new string('v', TrailerLimit - 6 + over);
        var wire = "0\r\nx:" + value + "\r\n\r\n";

        AssertLimit(wire, over, "trailer section too large", 3 + TrailerLimit);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ManyTrailerFieldsCountTogether(int over)
    {
        // 2048 fields of "a:bc" CRLF (12288 bytes); the last field and the empty line make up the rest.
        var fields = new StringBuilder();
        for (var i = 0; i < 2048; i++)
        {
            fields.Append("a:bc\r\n");
        }

        fields.Append("z:").Append(new string('z', TrailerLimit - 12288 - 6 + over)).Append("\r\n\r\n");
        var wire = "0\r\n" + fields;

        AssertLimit(wire, over, "trailer section too large", 3 + TrailerLimit);
        if (over == 0)
        {
            var result = ChunkedBodyReader.Read(new Http1ChunkedDecoder(new Http1Limits()), [Encoding.ASCII.GetBytes(wire)], ChunkedBodyReader.All);
            Assert.Equal(2049, result.TrailerCount);
        }
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(8, 1)]
    [InlineData(3, 0)]
    [InlineData(3, 1)]
    public void TheConfiguredLineLimitIsTheOneApplied(int lineLimit, int over)
    {
        var line = lineLimit == 3 ? "1\r\n" : "1;abc\r\n";
        line = new string('0', lineLimit - line.Length + over) + line;
        var wire = Encoding.ASCII.GetBytes(line + "x\r\n0\r\n\r\n");
        var limits = new Http1Limits { MaxChunkLineSize = lineLimit };

        var result = ChunkedBodyReader.Read(new Http1ChunkedDecoder(limits), SegmentedSequence.Bytewise(wire), ChunkedBodyReader.All);

        if (over == 0)
        {
            Assert.Equal(Http1ChunkedStatus.Done, result.Status);
        }
        else
        {
            Assert.Equal(new Http1Rejection(400, "chunk-size line too long"), result.Rejection);
            Assert.Equal(lineLimit, result.Consumed);
        }
    }

    [Theory]
    [InlineData(11, true)]
    [InlineData(10, false)]
    public void TheConfiguredTrailerLimitIsTheOneApplied(int trailerLimit, bool read)
    {
        // "ab:cdef" CRLF CRLF: 11 bytes.
        var wire = Encoding.ASCII.GetBytes("1\r\nx\r\n0\r\nab:cdef\r\n\r\n");
        var limits = new Http1Limits { MaxTrailersTotalSize = trailerLimit };

        var result = ChunkedBodyReader.Read(new Http1ChunkedDecoder(limits), SegmentedSequence.Bytewise(wire), ChunkedBodyReader.All);

        Assert.Equal(read ? Http1ChunkedStatus.Done : Http1ChunkedStatus.Rejected, result.Status);
        Assert.Equal(read ? wire.Length : wire.Length - 1, result.Consumed);
    }

    [Fact]
    public void ASlowClientsLongExtensionIsReadOnce()
    {
        // A 4 KiB extension one byte per read: each byte is offered once, so the work is linear.
        var wire = Encoding.ASCII.GetBytes("1;" + new string('e', LineLimit - 4) + "\r\nx\r\n0;" + new string('f', LineLimit - 5) + "\r\nt:" + new string('t', TrailerLimit - 6) + "\r\n\r\n");
        var result = ChunkedBodyReader.Read(new Http1ChunkedDecoder(new Http1Limits()), SegmentedSequence.Bytewise(wire), ChunkedBodyReader.All);

        Assert.Equal(Http1ChunkedStatus.Done, result.Status);
        Assert.Equal(wire.Length, result.Consumed);
        Assert.Equal(wire.Length, result.BytesOffered);
    }

    private static void AssertLimit(string wire, int over, string reason, long rejectedAt)
    {
        var bytes = Encoding.Latin1.GetBytes(wire);
        foreach (var segments in new[] { [bytes], SegmentedSequence.Bytewise(bytes), SegmentedSequence.Split(bytes, [bytes.Length / 2]) })
        {
            var result = ChunkedBodyReader.Read(new Http1ChunkedDecoder(new Http1Limits()), segments, ChunkedBodyReader.All);
            if (over == 0)
            {
                Assert.Equal(Http1ChunkedStatus.Done, result.Status);
                Assert.Equal(bytes.Length, result.Consumed);
            }
            else
            {
                Assert.Equal(Http1ChunkedStatus.Rejected, result.Status);
                Assert.Equal(new Http1Rejection(400, reason), result.Rejection);
                Assert.Equal(rejectedAt, result.Consumed);
            }
        }
    }
}
