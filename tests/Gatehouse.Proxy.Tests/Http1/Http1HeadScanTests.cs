using System.Buffers;
using System.Text;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

/// <summary>FindHeadEnd: where a head ends, however its bytes were split, and the size limits exactly at and past them.</summary>
public sealed class Http1HeadScanTests
{
    private const string Browser = "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n";

    private static readonly Http1Limits Limits = new();

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\n\r\n")]
    [InlineData(Browser)]
    public void WholeHeadInOneSegmentIsComplete(string head)
    {
        var bytes = Encoding.ASCII.GetBytes(head + "body bytes");
        long scanned = 0;

        var result = Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes), ref scanned, Limits, out var length, out _);

        Assert.Equal(Http1HeadScan.Complete, result);
        Assert.Equal(head.Length, length);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData(Browser)]
    public void HeadSplitIntoOneByteSegmentsIsComplete(string head)
    {
        var bytes = Encoding.ASCII.GetBytes(head + "\r\n\r\n");
        long scanned = 0;

        var result = Http1HeadParser.FindHeadEnd(Segments.OneBytePerSegment(bytes), ref scanned, Limits, out var length, out _);

        Assert.Equal(Http1HeadScan.Complete, result);
        Assert.Equal(head.Length, length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void HeadSplitAtEveryPointIntoSegmentsIsComplete(int pieceLength)
    {
        var bytes = Encoding.ASCII.GetBytes(Browser);
        for (var split = 1; split < bytes.Length; split++)
        {
            var pieces = new List<byte[]> { bytes[..split] };
            for (var at = split; at < bytes.Length; at += pieceLength)
            {
                pieces.Add(bytes[at..Math.Min(bytes.Length, at + pieceLength)]);
            }

            long scanned = 0;
            var result = Http1HeadParser.FindHeadEnd(Segments.Of([.. pieces]), ref scanned, Limits, out var length, out _);

            Assert.Equal(Http1HeadScan.Complete, result);
            Assert.Equal(bytes.Length, length);
        }
    }

    [Fact]
    public void BytesArrivingOneAtATimeCompleteOnTheLastOne()
    {
        var bytes = Encoding.ASCII.GetBytes(Browser);
        long scanned = 0;
        for (var received = 1; received < bytes.Length; received++)
        {
            var partial = Segments.OneBytePerSegment(bytes[..received]);
            Assert.Equal(Http1HeadScan.Incomplete, Http1HeadParser.FindHeadEnd(partial, ref scanned, Limits, out _, out _));
            Assert.Equal(received, scanned);
        }

        var whole = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(Http1HeadScan.Complete, Http1HeadParser.FindHeadEnd(whole, ref scanned, Limits, out var length, out _));
        Assert.Equal(bytes.Length, length);
    }

    [Fact]
    public void ScannedBytesAreNotSearchedAgainButAMatchAcrossTheOldEndIsFound()
    {
        // The first call saw "...\r\n\r"; the LF completing the end arrives next.
        var bytes = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        long scanned = 0;
        Assert.Equal(Http1HeadScan.Incomplete, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes[..^1]), ref scanned, Limits, out _, out _));

        Assert.Equal(Http1HeadScan.Complete, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes), ref scanned, Limits, out var length, out _));
        Assert.Equal(bytes.Length, length);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: a")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\rb")]
    [InlineData("GET / HTTP/1.1\r\r\n")]
    public void BareLineFeedOrLoneCarriageReturnIsRefusedBeforeTheHeadEnds(string partial)
    {
        var bytes = Encoding.ASCII.GetBytes(partial);
        foreach (var buffer in new[] { new ReadOnlySequence<byte>(bytes), Segments.OneBytePerSegment(bytes) })
        {
            long scanned = 0;
            Assert.Equal(Http1HeadScan.Rejected, Http1HeadParser.FindHeadEnd(buffer, ref scanned, Limits, out _, out var rejection));
            Assert.Equal(400, rejection.StatusCode);
        }
    }

    [Fact]
    public void EmptyLinesBeforeTheRequestLineDoNotEndAHead()
    {
        const string Head = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(Head);
        long scanned = 0;
        Assert.Equal(Http1HeadScan.Incomplete, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes[..4]), ref scanned, Limits, out _, out _));

        Assert.Equal(Http1HeadScan.Complete, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes), ref scanned, Limits, out var length, out _));
        Assert.Equal(Head.Length, length);
    }

    [Fact]
    public void EndlessEmptyLinesAre414()
    {
        var bytes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("\r\n", Limits.MaxRequestLineSize / 2)));
        long scanned = 0;

        Assert.Equal(Http1HeadScan.Rejected, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes), ref scanned, Limits, out _, out var rejection));
        Assert.Equal(414, rejection.StatusCode);
    }

    [Fact]
    public void CarriageReturnAtTheEndOfTheBytesSoFarWaitsForItsLineFeed()
    {
        var bytes = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r");
        long scanned = 0;
        Assert.Equal(Http1HeadScan.Incomplete, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(bytes), ref scanned, Limits, out _, out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RequestLineAtTheLimitIsTakenAndOneByteMoreIs414(bool split)
    {
        var atLimit = RequestLine(Limits.MaxRequestLineSize);
        var overLimit = RequestLine(Limits.MaxRequestLineSize + 1);

        Assert.Equal(Http1HeadScan.Complete, Scan(atLimit + "Host: a\r\n\r\n", split, out _));
        Assert.Equal(Http1HeadScan.Rejected, Scan(overLimit + "Host: a\r\n\r\n", split, out var rejection));
        Assert.Equal(414, rejection.StatusCode);

        // Without its end yet: as soon as the limit's worth of bytes holds no LF.
        Assert.Equal(Http1HeadScan.Incomplete, Scan(overLimit[..(Limits.MaxRequestLineSize - 1)], split, out _));
        Assert.Equal(Http1HeadScan.Rejected, Scan(overLimit[..Limits.MaxRequestLineSize], split, out rejection));
        Assert.Equal(414, rejection.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FieldsAtTheLimitAreTakenAndOneByteMoreIs431(bool split)
    {
        const string Line = "GET / HTTP/1.1\r\n";
        var atLimit = Line + Fields(Limits.MaxRequestHeadersTotalSize) + "\r\n";
        var overLimit = Line + Fields(Limits.MaxRequestHeadersTotalSize + 1) + "\r\n";

        Assert.Equal(Http1HeadScan.Complete, Scan(atLimit, split, out _));
        Assert.Equal(Http1HeadScan.Rejected, Scan(overLimit, split, out var rejection));
        Assert.Equal(431, rejection.StatusCode);

        // Still arriving: refused once more bytes are in than a head within the limit could have.
        Assert.Equal(Http1HeadScan.Incomplete, Scan(overLimit[..(atLimit.Length - 1)], split, out _));
        Assert.Equal(Http1HeadScan.Rejected, Scan(overLimit[..atLimit.Length], split, out rejection));
        Assert.Equal(431, rejection.StatusCode);
    }

    [Fact]
    public void SmallerConfiguredLimitsApply()
    {
        var limits = new Http1Limits { MaxRequestLineSize = 32, MaxRequestHeadersTotalSize = 64 };
        long scanned = 0;
        var head = Encoding.ASCII.GetBytes("GET /" + new string('a', 40) + " HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(Http1HeadScan.Rejected, Http1HeadParser.FindHeadEnd(new ReadOnlySequence<byte>(head), ref scanned, limits, out _, out var rejection));
        Assert.Equal(414, rejection.StatusCode);
    }

    /// <summary>"GET /aaa HTTP/1.1\r\n" of exactly <paramref name="length"/> bytes.</summary>
    internal static string RequestLine(int length)
        => "GET /" + new string('a', length - "GET / HTTP/1.1\r\n".Length) + " HTTP/1.1\r\n";

    /// <summary>Field lines (CRLFs included) of exactly <paramref name="length"/> bytes, the first one Host.</summary>
    internal static string Fields(int length)
    {
        var text = new StringBuilder("Host: a\r\n");
        while (length - text.Length > 1000)
        {
            text.Append("X-Fill: ").Append('f', 1000 - 10).Append("\r\n");
        }

        var rest = length - text.Length;
        text.Append("X-Last: ").Append('l', rest - 10).Append("\r\n");
        return text.ToString();
    }

    private static Http1HeadScan Scan(string text, bool split, out Http1Rejection rejection)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var buffer = split
            ? Segments.Of([.. bytes.Chunk(4096)])
            : new ReadOnlySequence<byte>(bytes);
        long scanned = 0;
        return Http1HeadParser.FindHeadEnd(buffer, ref scanned, Limits, out _, out rejection);
    }
}
