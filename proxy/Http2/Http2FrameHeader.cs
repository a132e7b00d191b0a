using System.Buffers;
using System.Buffers.Binary;

namespace Gatehouse.Proxy.Http2;

/// <summary>The 9-byte header every frame starts with (RFC 9113 4.1).</summary>
internal readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, byte Flags, int StreamId)
{
    public const int Size = 9;

    public bool HasFlag(byte flag) => (Flags & flag) != 0;

    /// <summary>Reads a header from the start of <paramref name="buffer"/>; false when fewer than 9 bytes are there.</summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, out Http2FrameHeader header)
    {
        if (buffer.Length < Size)
        {
            header = default;
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        var first = buffer.FirstSpan;
        if (first.Length >= Size)
        {
            first[..Size].CopyTo(bytes);
        }
        else
        {
            buffer.Slice(0, Size).CopyTo(bytes);
        }

        header = Parse(bytes);
        return true;
    }

    public static Http2FrameHeader Parse(ReadOnlySpan<byte> bytes)
    {
        var length = (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];

        // The reserved bit is ignored on receipt (RFC 9113 4.1).
        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes[5..]) & 0x7FFF_FFFF);
        return new Http2FrameHeader(length, (Http2FrameType)bytes[3], bytes[4], streamId);
    }

    public static void Write(Span<byte> destination, int length, Http2FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)streamId & 0x7FFF_FFFF);
    }
}
