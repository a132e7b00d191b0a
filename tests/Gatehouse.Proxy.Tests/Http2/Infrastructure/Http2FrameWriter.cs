using System.Buffers.Binary;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>Serializes frames exactly as asked: any length, any flags, any stream id.</summary>
internal static class Http2FrameWriter
{
    public static byte[] Frame(byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    public static byte[] Settings(params (ushort Id, uint Value)[] settings)
    {
        var payload = new byte[settings.Length * 6];
        for (var i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(i * 6), settings[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(i * 6 + 2), settings[i].Value);
        }

        return Frame(H2.Settings, 0, 0, payload);
    }

    public static byte[] Ping(ReadOnlySpan<byte> data, bool ack = false) => Frame(H2.Ping, ack ? H2.Ack : (byte)0, 0, data);

    public static byte[] RstStream(int streamId, uint errorCode) => Frame(H2.RstStream, 0, streamId, UInt32(errorCode));

    public static byte[] WindowUpdate(int streamId, uint increment) => Frame(H2.WindowUpdate, 0, streamId, UInt32(increment));

    public static byte[] Priority(int streamId, int dependency, byte weight, bool exclusive = false)
    {
        var payload = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)dependency | (exclusive ? 0x8000_0000u : 0));
        payload[4] = weight;
        return Frame(H2.Priority, 0, streamId, payload);
    }

    public static byte[] GoAway(int lastStreamId, uint errorCode)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(payload, lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), errorCode);
        return Frame(H2.GoAway, 0, 0, payload);
    }

    /// <summary>HEADERS carrying <paramref name="block"/>, padded with <paramref name="padLength"/> zero bytes when given.</summary>
    public static byte[] Headers(int streamId, ReadOnlySpan<byte> block, bool endStream, bool endHeaders = true, int? padLength = null)
    {
        var flags = (byte)((endStream ? H2.EndStream : 0) | (endHeaders ? H2.EndHeaders : 0));
        var payload = MaybePadded(block, padLength, ref flags); // before Frame reads flags: it sets PADDED
        return Frame(H2.Headers, flags, streamId, payload);
    }

    public static byte[] Continuation(int streamId, ReadOnlySpan<byte> block, bool endHeaders)
        => Frame(H2.Continuation, endHeaders ? H2.EndHeaders : (byte)0, streamId, block);

    public static byte[] Data(int streamId, ReadOnlySpan<byte> data, bool endStream, int? padLength = null)
    {
        var flags = endStream ? H2.EndStream : (byte)0;
        var payload = MaybePadded(data, padLength, ref flags); // before Frame reads flags: it sets PADDED
        return Frame(H2.Data, flags, streamId, payload);
    }

    public static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] MaybePadded(ReadOnlySpan<byte> content, int? padLength, ref byte flags)
    {
        if (padLength is not { } pad)
        {
            return content.ToArray();
        }

        flags |= H2.Padded;
        var payload = new byte[1 + content.Length + pad];
        payload[0] = (byte)pad;
        content.CopyTo(payload.AsSpan(1));
        return payload;
    }

    /// <summary>Frames concatenated, to be written in one go.</summary>
    public static byte[] Concat(IEnumerable<byte[]> frames) => frames.SelectMany(f => f).ToArray();
}
