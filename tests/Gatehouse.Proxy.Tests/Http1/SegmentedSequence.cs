using System.Buffers;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// ReadOnlySequences made of given arrays, one segment each, as a PipeReader hands over bytes that
/// arrived in several reads. One array gives the array-backed single-segment form.
/// </summary>
internal static class SegmentedSequence
{
    public static ReadOnlySequence<byte> Create(IReadOnlyList<byte[]> segments)
    {
        if (segments.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (segments.Count == 1)
        {
            return new ReadOnlySequence<byte>(segments[0]);
        }

        var first = new Segment(segments[0], 0);
        var last = first;
        for (var i = 1; i < segments.Count; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="bytes"/> cut before each of <paramref name="cuts"/> (ascending, inside the array).</summary>
    public static List<byte[]> Split(byte[] bytes, IEnumerable<int> cuts)
    {
        var segments = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts)
        {
            segments.Add(bytes[start..cut]);
            start = cut;
        }

        segments.Add(bytes[start..]);
        return segments;
    }

    public static List<byte[]> Bytewise(byte[] bytes) => Split(bytes, Enumerable.Range(1, Math.Max(0, bytes.Length - 1)));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
