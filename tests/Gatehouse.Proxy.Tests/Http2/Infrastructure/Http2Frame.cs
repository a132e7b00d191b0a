using System.Buffers.Binary;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>One frame as read off the wire.</summary>
internal sealed record Http2Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
{
    public bool HasFlag(byte flag) => (Flags & flag) != 0;

    public bool EndStream => Type is H2.Data or H2.Headers && HasFlag(H2.EndStream);

    /// <summary>RST_STREAM's error code, or GOAWAY's.</summary>
    public uint ErrorCode => Type switch
    {
        H2.RstStream => BinaryPrimitives.ReadUInt32BigEndian(Payload),
        H2.GoAway => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4)),
        _ => throw new InvalidOperationException($"{H2.TypeName(Type)} carries no error code"),
    };

    public int GoAwayLastStreamId => BinaryPrimitives.ReadInt32BigEndian(Payload) & int.MaxValue;

    public int WindowIncrement => BinaryPrimitives.ReadInt32BigEndian(Payload) & int.MaxValue;

    /// <summary>The SETTINGS frame's (id, value) pairs, in order.</summary>
    public IReadOnlyList<(ushort Id, uint Value)> Settings()
    {
        var settings = new List<(ushort, uint)>();
        for (var i = 0; i + 6 <= Payload.Length; i += 6)
        {
            settings.Add((BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(i)), BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(i + 2))));
        }

        return settings;
    }

    /// <summary>DATA's bytes without padding.</summary>
    public ReadOnlySpan<byte> DataBytes => HasFlag(H2.Padded)
        ? Payload.AsSpan(1, Payload.Length - 1 - Payload[0])
        : Payload;

    public override string ToString()
        => Type is H2.RstStream or H2.GoAway && Payload.Length >= (Type == H2.GoAway ? 8 : 4)
            ? $"{H2.TypeName(Type)}(stream {StreamId}, {H2.ErrorName(ErrorCode)})"
            : $"{H2.TypeName(Type)}(stream {StreamId}, flags 0x{Flags:x2}, {Payload.Length} bytes)";
}
