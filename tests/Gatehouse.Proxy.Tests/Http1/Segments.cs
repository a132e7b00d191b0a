using System.Buffers;

namespace Gatehouse.Tests.Http1;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> of several segments, as a pipe hands over bytes that arrived in pieces.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Of(params byte[][] pieces)
    {
        var first = new Segments(pieces[0], 0);
        var last = first;
        foreach (var piece in pieces.Skip(1))
        {
            var next = new Segments(piece, last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>One segment per byte: the worst split a reader can be handed.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
        => Of([.. bytes.Select(b => new[] { b })]);
}
