using System.Buffers;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

/// <summary>A valid body decodes to the same bytes, and ends at the same byte, however the reads split it.</summary>
public sealed class Http1ChunkedSegmentationTests
{
    public static TheoryData<string> Corpus => ChunkedCorpus.Names();

    [Theory]
    [MemberData(nameof(Corpus))]
    public void OneSegment(string name) => AssertDecodes(name, wire => [wire]);

    [Theory]
    [MemberData(nameof(Corpus))]
    public void OneByteSegments(string name) => AssertDecodes(name, SegmentedSequence.Bytewise);

    [Theory]
    [MemberData(nameof(Corpus))]
    public void EverySplitIntoTwoSegments(string name)
    {
        var (wire, _, _) = ChunkedCorpus.Get(name);
        for (var cut = 1; cut < wire.Length; cut++)
        {
            AssertDecodes(name, w => SegmentedSequence.Split(w, [cut]));
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void EverySplitIntoThreeSegmentsArrivingTogether(string name)
    {
        // All three segments are offered in one input: the decoder walks a multi-segment sequence.
        var (wire, body, trailers) = ChunkedCorpus.Get(name);
        var end = wire.Length - ChunkedCorpus.NextRequest.Length;
        for (var first = 1; first < end; first += 3)
        {
            for (var second = first + 1; second < wire.Length; second += 5)
            {
                var segments = SegmentedSequence.Split(wire, [first, second]);
                var input = SegmentedSequence.Create(segments);
                var decoder = new Http1ChunkedDecoder(new Http1Limits());
                var decoded = new List<byte>();
                long consumed = 0;
                while (true)
                {
                    var status = decoder.Decode(input.Slice(consumed), out var framingEnd, out var data, out _);
                    consumed += input.Slice(consumed).Slice(0, framingEnd).Length;
                    if (status != Http1ChunkedStatus.Data)
                    {
                        Assert.Equal(Http1ChunkedStatus.Done, status);
                        break;
                    }

                    decoded.AddRange(data.ToArray());
                    decoder.ConsumeData(data.Length);
                    consumed += data.Length;
                }

                Assert.Equal(body, decoded.ToArray());
                Assert.Equal(end, consumed);
                Assert.Equal(trailers, decoder.TrailerCount);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void ConsumersThatTakeLessThanOffered(string name)
    {
        AssertDecodes(name, wire => [wire], ChunkedBodyReader.OneByte);
        AssertDecodes(name, wire => [wire], ChunkedBodyReader.NoneThenHalf);
        AssertDecodes(name, SegmentedSequence.Bytewise, ChunkedBodyReader.NoneThenHalf);
        AssertDecodes(name, wire => SegmentedSequence.Split(wire, Enumerable.Range(1, wire.Length - 1).Where(i => i % 7 == 0)), ChunkedBodyReader.NoneThenHalf);
        AssertDecodes(name, wire => SegmentedSequence.Split(wire, Enumerable.Range(1, wire.Length - 1).Where(i => i % 3 == 0)), ChunkedBodyReader.OneByte);
    }

    [Fact]
    public void DataIsNeverLongerThanTheChunkEvenWhenMoreIsBuffered()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        var input = Bytes("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");

        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(input, out var framingEnd, out var data, out _));
        Assert.Equal(3, input.Slice(0, framingEnd).Length);
        Assert.Equal("abc"u8.ToArray(), data.ToArray());
        decoder.ConsumeData(3);

        input = input.Slice(6);
        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(input, out framingEnd, out data, out _));
        Assert.Equal(5, input.Slice(0, framingEnd).Length);
        Assert.Equal("defg"u8.ToArray(), data.ToArray());
    }

    [Fact]
    public void AChunkLargerThanTheBufferIsOfferedAsItArrives()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(Bytes("7FFFFFFFFFFFFFFF\r\nab"), out _, out var data, out _));
        Assert.Equal(2, data.Length);
        decoder.ConsumeData(2);

        Assert.Equal(Http1ChunkedStatus.NeedMore, decoder.Decode(default, out _, out _, out _));
        var more = Bytes("cde");
        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(more, out var framingEnd, out data, out _));
        Assert.Equal(more.Start, framingEnd);
        Assert.Equal("cde"u8.ToArray(), data.ToArray());
        decoder.ConsumeData(1);
        Assert.Equal(3, decoder.BodyBytes);
    }

    [Fact]
    public void UnconsumedDataIsOfferedAgain()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        var input = Bytes("5\r\nhello\r\n0\r\n\r\n");
        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(input, out _, out _, out _));
        decoder.ConsumeData(2);

        Assert.Equal(Http1ChunkedStatus.Data, decoder.Decode(input.Slice(5), out var framingEnd, out var data, out _));
        Assert.Equal(input.Slice(5).Start, framingEnd);
        Assert.Equal("llo"u8.ToArray(), data.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.ConsumeData(4));
        decoder.ConsumeData(3);

        var rest = input.Slice(8);
        Assert.Equal(Http1ChunkedStatus.Done, decoder.Decode(rest, out framingEnd, out _, out _));
        Assert.True(rest.Slice(framingEnd).IsEmpty);
        Assert.Equal(5, decoder.BodyBytes);
    }

    [Fact]
    public void ConsumingWithoutAnOfferThrows()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.ConsumeData(1));
        Assert.Equal(Http1ChunkedStatus.NeedMore, decoder.Decode(Bytes("5\r\n"), out _, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.ConsumeData(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.ConsumeData(-1));
    }

    [Fact]
    public void AfterDoneNothingMoreIsTaken()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        Assert.Equal(Http1ChunkedStatus.Done, decoder.Decode(Bytes("0\r\n\r\n"), out _, out _, out _));
        var next = Bytes("0\r\n\r\n");
        Assert.Equal(Http1ChunkedStatus.Done, decoder.Decode(next, out var framingEnd, out _, out _));
        Assert.Equal(next.Start, framingEnd);
    }

    [Fact]
    public void ResetReadsTheNextRequestsBody()
    {
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        var first = ChunkedBodyReader.Read(decoder, [Bytes("3;x\r\nabc\r\n0\r\nt: 1\r\n\r\n").ToArray()], ChunkedBodyReader.All);
        Assert.Equal(Http1ChunkedStatus.Done, first.Status);
        Assert.Equal(1, first.TrailerCount);

        decoder.Reset();
        var second = ChunkedBodyReader.Read(decoder, [Bytes("2\r\nde\r\n0\r\n\r\n").ToArray()], ChunkedBodyReader.All);
        Assert.Equal(Http1ChunkedStatus.Done, second.Status);
        Assert.Equal("de"u8.ToArray(), second.Body);
        Assert.Equal(2, second.BodyBytes);
        Assert.Equal(0, second.TrailerCount);

        // A rejected body is forgotten too, mid-line state included.
        decoder.Reset();
        Assert.Equal(Http1ChunkedStatus.NeedMore, decoder.Decode(Bytes("5;a=\"x"), out _, out _, out _));
        Assert.Equal(Http1ChunkedStatus.Rejected, decoder.Decode(Bytes("\r"), out _, out _, out _));
        decoder.Reset();
        var third = ChunkedBodyReader.Read(decoder, [Bytes("1\r\nf\r\n0\r\n\r\n").ToArray()], ChunkedBodyReader.All);
        Assert.Equal("f"u8.ToArray(), third.Body);
    }

    private static void AssertDecodes(string name, Func<byte[], List<byte[]>> split, Func<long, int, long>? take = null)
    {
        var (wire, body, trailers) = ChunkedCorpus.Get(name);
        var decoder = new Http1ChunkedDecoder(new Http1Limits());
        var result = ChunkedBodyReader.Read(decoder, split(wire), take ?? ChunkedBodyReader.All);

        Assert.Equal(Http1ChunkedStatus.Done, result.Status);
        Assert.Equal(body, result.Body);
        Assert.Equal(body.Length, result.BodyBytes);
        Assert.Equal(trailers, result.TrailerCount);
        Assert.Equal(wire.Length - ChunkedCorpus.NextRequest.Length, result.Consumed);
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(System.Text.Encoding.Latin1.GetBytes(text));
}
