using System.Buffers;
using System.Runtime.InteropServices;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Tests.Http1;

/// <summary>What <see cref="ChunkedBodyReader.Read"/> ended with.</summary>
/// <param name="Consumed">Bytes of the wire the caller consumed: the whole body at Done, up to the offending byte at Rejected.</param>
/// <param name="BytesOffered">Sum of every input handed to Decode: shows whether framing was ever offered twice.</param>
internal sealed record ChunkedReadResult(
    Http1ChunkedStatus Status,
    byte[] Body,
    long Consumed,
    Http1Rejection Rejection,
    long BodyBytes,
    int TrailerCount,
    long BytesOffered);

/// <summary>
/// Drives an <see cref="Http1ChunkedDecoder"/> the way the server's request-body reader does: the wire
/// arrives as the given segments, the unconsumed part is offered, framing is consumed to framingEnd, and
/// the "application" consumes as much of each data slice as <c>take</c> says (0 means it waits for more).
/// Checks the decoder's promises on every call.
/// </summary>
internal static class ChunkedBodyReader
{
    /// <summary>Consumes all data offered.</summary>
    public static readonly Func<long, int, long> All = (offered, _) => offered;

    /// <summary>Consumes one byte per read.</summary>
    public static readonly Func<long, int, long> OneByte = (_, _) => 1;

    /// <summary>Alternately waits for more (consumes nothing) and consumes half of what it was offered.</summary>
    public static readonly Func<long, int, long> NoneThenHalf = (offered, call) => call % 2 == 0 ? 0 : (offered + 1) / 2;

    public static ChunkedReadResult Read(Http1ChunkedDecoder decoder, IReadOnlyList<byte[]> segments, Func<long, int, long> take)
    {
        var starts = new long[segments.Count + 1];
        for (var i = 0; i < segments.Count; i++)
        {
            starts[i + 1] = starts[i] + segments[i].Length;
        }

        var indexOf = new Dictionary<byte[], int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < segments.Count; i++)
        {
            indexOf[segments[i]] = i;
        }

        var body = new List<byte>();
        var delivered = 1;
        var first = 0;
        long consumed = 0;
        long offered = 0;
        var calls = 0;
        while (true)
        {
            // The reader's buffer: the delivered segments from the one holding the first unconsumed byte.
            while (first < delivered && starts[first + 1] <= consumed)
            {
                first++;
            }

            var arrived = new List<byte[]>();
            for (var i = first; i < delivered; i++)
            {
                arrived.Add(segments[i]);
            }

            var input = SegmentedSequence.Create(arrived).Slice(consumed - starts[first]);
            offered += input.Length;
            var status = decoder.Decode(input, out var framingEnd, out var data, out var rejection);
            var framing = input.Slice(0, framingEnd).Length;
            consumed += framing;
            switch (status)
            {
                case Http1ChunkedStatus.Data:
                    Assert.False(data.IsEmpty);
                    Assert.True(data.Length <= input.Length - framing);
                    AssertIsSliceOf(data, indexOf, starts, consumed);
                    var used = Math.Min(take(data.Length, calls++), data.Length);
                    if (used == 0 && delivered < segments.Count)
                    {
                        decoder.ConsumeData(0);
                        delivered++;
                        continue;
                    }

                    used = Math.Max(used, 1);
                    body.AddRange(data.Slice(0, used).ToArray());
                    decoder.ConsumeData(used);
                    consumed += used;
                    Assert.Equal(body.Count, decoder.BodyBytes);
                    break;

                case Http1ChunkedStatus.NeedMore:
                    // Everything offered was taken: a split line is never offered again.
                    Assert.Equal(input.Length, framing);
                    if (delivered == segments.Count)
                    {
                        return Result(status, default);
                    }

                    delivered++;
                    break;

                default:
                    return Result(status, rejection);
            }
        }

        ChunkedReadResult Result(Http1ChunkedStatus status, Http1Rejection rejection) =>
            new(status, [.. body], consumed, rejection, decoder.BodyBytes, decoder.TrailerCount, offered);
    }

    /// <summary>The data's memory is the wire's arrays themselves, starting <paramref name="offset"/> bytes into the wire.</summary>
    private static void AssertIsSliceOf(ReadOnlySequence<byte> data, Dictionary<byte[], int> indexOf, long[] starts, long offset)
    {
        foreach (var memory in data)
        {
            Assert.True(MemoryMarshal.TryGetArray(memory, out var segment));
            Assert.True(indexOf.TryGetValue(segment.Array!, out var index), "data is not a slice of the input");
            Assert.Equal(offset, starts[index] + segment.Offset);
            offset += segment.Count;
        }
    }
}
