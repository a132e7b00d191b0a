using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.MessagePack;

/// <summary>
/// Writes MessagePack straight into an <see cref="IBufferWriter{T}"/>, always in the shortest form
/// the spec allows, so equal values produce equal bytes. A ref struct so it cannot be captured or
/// outlive the call that created it; each method asks the output for exactly the bytes it needs.
/// </summary>
public readonly ref struct MessagePackWriter
{
    private readonly IBufferWriter<byte> _output;

    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void WriteBoolean(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    public void WriteInt32(int value) => WriteInt64(value);

    /// <summary>Non-negative values use the unsigned families, as the spec's reference encoders do.</summary>
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
        }
        else if (value >= -32)
        {
            WriteByte(unchecked((byte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)value);
            _output.Advance(2);
        }
        else if (value >= short.MinValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            _output.Advance(3);
        }
        else if (value >= int.MinValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    public void WriteUInt64(ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            _output.Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            _output.Advance(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    /// <summary>
    /// Uses float32 when it represents the value exactly (the msgpack-test-suite lists float32 first
    /// for such values); NaN keeps float64 so its payload bits survive.
    /// </summary>
    public void WriteDouble(double value)
    {
        var narrowed = (float)value;
        if ((double)narrowed == value)
        {
            WriteSingle(narrowed);
            return;
        }

        var span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    public void WriteSingle(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteString(value.AsSpan());
    }

    /// <summary>Encodes UTF-8 directly after the header; lone surrogates become U+FFFD as in <see cref="Encoding.UTF8"/>.</summary>
    public void WriteString(ReadOnlySpan<char> value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var span = _output.GetSpan(5 + byteCount);
        var headerSize = WriteStringHeader(span, byteCount);
        var written = Encoding.UTF8.GetBytes(value, span[headerSize..]);
        _output.Advance(headerSize + written);
    }

    /// <summary>Writes already-encoded UTF-8 without checking it; the caller vouches for its validity.</summary>
    public void WriteStringUtf8(ReadOnlySpan<byte> utf8)
    {
        var span = _output.GetSpan(5 + utf8.Length);
        var headerSize = WriteStringHeader(span, utf8.Length);
        utf8.CopyTo(span[headerSize..]);
        _output.Advance(headerSize + utf8.Length);
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        int headerSize;
        var span = _output.GetSpan(5 + value.Length);
        if (value.Length <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Bin8;
            span[1] = (byte)value.Length;
            headerSize = 2;
        }
        else if (value.Length <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Bin16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value.Length);
            headerSize = 3;
        }
        else
        {
            span[0] = MessagePackCode.Bin32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value.Length);
            headerSize = 5;
        }

        value.CopyTo(span[headerSize..]);
        _output.Advance(headerSize + value.Length);
    }

    public void WriteArrayHeader(int count)
        => WriteContainerHeader(count, MessagePackCode.MinFixArray, MessagePackCode.Array16, MessagePackCode.Array32);

    /// <summary>Announces <paramref name="count"/> key/value pairs.</summary>
    public void WriteMapHeader(int count)
        => WriteContainerHeader(count, MessagePackCode.MinFixMap, MessagePackCode.Map16, MessagePackCode.Map32);

    public void WriteExtension(sbyte type, ReadOnlySpan<byte> data)
    {
        var span = _output.GetSpan(6 + data.Length);
        int headerSize;
        var fixCode = data.Length switch
        {
            1 => MessagePackCode.FixExt1,
            2 => MessagePackCode.FixExt2,
            4 => MessagePackCode.FixExt4,
            8 => MessagePackCode.FixExt8,
            16 => MessagePackCode.FixExt16,
            _ => (byte)0,
        };
        if (fixCode != 0)
        {
            span[0] = fixCode;
            headerSize = 1;
        }
        else if (data.Length <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Ext8;
            span[1] = (byte)data.Length;
            headerSize = 2;
        }
        else if (data.Length <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Ext16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)data.Length);
            headerSize = 3;
        }
        else
        {
            span[0] = MessagePackCode.Ext32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)data.Length);
            headerSize = 5;
        }

        span[headerSize] = unchecked((byte)type);
        data.CopyTo(span[(headerSize + 1)..]);
        _output.Advance(headerSize + 1 + data.Length);
    }

    public void WriteTimestamp(DateTimeOffset value) => WriteTimestamp(MessagePackTimestamp.FromDateTimeOffset(value));

    public void WriteTimestamp(long seconds, uint nanoseconds) => WriteTimestamp(new MessagePackTimestamp(seconds, nanoseconds));

    /// <summary>Picks timestamp 32 (whole seconds in uint32), 64 (seconds below 2^34) or 96, the smallest that fits.</summary>
    public void WriteTimestamp(MessagePackTimestamp value)
    {
        Span<byte> data = stackalloc byte[12];
        if (value.Seconds >= 0 && value.Seconds >> 34 == 0)
        {
            if (value.Nanoseconds == 0 && value.Seconds <= uint.MaxValue)
            {
                BinaryPrimitives.WriteUInt32BigEndian(data, (uint)value.Seconds);
                WriteExtension(MessagePackCode.TimestampType, data[..4]);
            }
            else
            {
                var packed = ((ulong)value.Nanoseconds << 34) | (ulong)value.Seconds;
                BinaryPrimitives.WriteUInt64BigEndian(data, packed);
                WriteExtension(MessagePackCode.TimestampType, data[..8]);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(data, value.Nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(data[4..], value.Seconds);
            WriteExtension(MessagePackCode.TimestampType, data);
        }
    }

    /// <summary>Copies bytes the caller already knows to be one or more complete MessagePack values.</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded)
    {
        var span = _output.GetSpan(encoded.Length);
        encoded.CopyTo(span);
        _output.Advance(encoded.Length);
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    /// <summary>Writes the header and returns its size so the caller can place the payload right after it.</summary>
    /// <remarks>
    /// Header and payload share one span: a second GetSpan before Advance may hand out different memory.
    /// </remarks>
    private static int WriteStringHeader(Span<byte> span, int byteCount)
    {
        if (byteCount <= 31)
        {
            span[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
            return 1;
        }

        if (byteCount <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Str8;
            span[1] = (byte)byteCount;
            return 2;
        }

        if (byteCount <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Str16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)byteCount);
            return 3;
        }

        span[0] = MessagePackCode.Str32;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)byteCount);
        return 5;
    }

    private void WriteContainerHeader(int count, byte fixCode, byte code16, byte code32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(fixCode | count));
        }
        else if (count <= ushort.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            _output.Advance(3);
        }
        else
        {
            var span = _output.GetSpan(5);
            span[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)count);
            _output.Advance(5);
        }
    }
}
