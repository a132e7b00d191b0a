using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Gatehouse.MessagePack;

/// <summary>
/// Reads MessagePack from a span without copying: strings, binaries and extensions come back as
/// slices of the input. Every malformed input raises <see cref="MessagePackFormatException"/> and
/// nothing else; lengths and counts are checked against the bytes that remain before anything is
/// sized from them, so a hostile header cannot trigger a large allocation.
/// A failed read leaves <see cref="Position"/> unspecified; callers abandon the reader.
/// </summary>
public ref struct MessagePackReader
{
    public const int DefaultMaxDepth = 64;

    /// <summary>Skip's nesting stack lives on the call stack up to this size (the default limit plus the root).</summary>
    private const int StackDepthSlots = DefaultMaxDepth + 1;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;
    private int _depth;

    public MessagePackReader(ReadOnlySpan<byte> buffer, int maxDepth = DefaultMaxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        _buffer = buffer;
        MaxDepth = maxDepth;
    }

    /// <summary>Offset of the next unread byte.</summary>
    public readonly int Position => _position;

    /// <summary>Containers that may be open at once, counting those entered with <see cref="EnterContainer"/> and those <see cref="Skip"/> walks through.</summary>
    public int MaxDepth { get; }

    /// <summary>Containers currently entered via <see cref="EnterContainer"/>.</summary>
    public readonly int Depth => _depth;

    public readonly bool End => _position >= _buffer.Length;

    public readonly ReadOnlySpan<byte> Remaining => _buffer[_position..];

    /// <summary>The family of the next value, without consuming it.</summary>
    public readonly MessagePackType NextType => MessagePackCode.TypeOf(PeekCode(), _position);

    /// <summary>The raw format byte of the next value, without consuming it.</summary>
    public readonly byte NextCode => PeekCode();

    /// <summary>
    /// Records that the caller is descending into a container it just read the header of, so
    /// <see cref="MaxDepth"/> bounds the caller's recursion as well as <see cref="Skip"/>'s.
    /// </summary>
    public void EnterContainer()
    {
        if (_depth >= MaxDepth)
        {
            throw MessagePackErrors.TooDeep(MaxDepth, _position);
        }

        _depth++;
    }

    public void ExitContainer()
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("ExitContainer without a matching EnterContainer.");
        }

        _depth--;
    }

    public bool TryReadNil()
    {
        if (PeekCode() != MessagePackCode.Nil)
        {
            return false;
        }

        _position++;
        return true;
    }

    public void ReadNil()
    {
        if (!TryReadNil())
        {
            throw MessagePackErrors.Unexpected("nil", _buffer[_position], _position);
        }
    }

    public bool ReadBoolean()
    {
        var code = PeekCode();
        switch (code)
        {
            case MessagePackCode.True:
                _position++;
                return true;
            case MessagePackCode.False:
                _position++;
                return false;
            default:
                throw MessagePackErrors.Unexpected("boolean", code, _position);
        }
    }

    public int ReadInt32()
    {
        var start = _position;
        var value = ReadInt64();
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw MessagePackErrors.Overflow("int32", start);
        }

        return (int)value;
    }

    /// <summary>Accepts any integer family whose value fits.</summary>
    public long ReadInt64()
    {
        var start = _position;
        var bits = ReadIntegerBits(out var signed);
        if (!signed && bits > long.MaxValue)
        {
            throw MessagePackErrors.Overflow("int64", start);
        }

        return unchecked((long)bits);
    }

    /// <summary>Accepts any integer family whose value is non-negative.</summary>
    public ulong ReadUInt64()
    {
        var start = _position;
        var bits = ReadIntegerBits(out var signed);
        if (signed && unchecked((long)bits) < 0)
        {
            throw MessagePackErrors.Overflow("uint64", start);
        }

        return bits;
    }

    /// <summary>Accepts float32, float64 and any integer (large 64-bit integers round to the nearest double).</summary>
    public double ReadDouble()
    {
        var code = PeekCode();
        switch (code)
        {
            case MessagePackCode.Float32:
                return BinaryPrimitives.ReadSingleBigEndian(Take(1 + 4)[1..]);
            case MessagePackCode.Float64:
                return BinaryPrimitives.ReadDoubleBigEndian(Take(1 + 8)[1..]);
            default:
                var bits = ReadIntegerBits(out var signed);
                return signed ? unchecked((long)bits) : (double)bits;
        }
    }

    /// <summary>Reads a string, rejecting invalid UTF-8.</summary>
    public string ReadString()
    {
        var start = _position;
        var utf8 = ReadStringSpan();
        if (!Utf8.IsValid(utf8))
        {
            throw new MessagePackFormatException("String is not valid UTF-8", start);
        }

        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>The string's UTF-8 bytes as a slice of the input, unvalidated; for comparing keys without allocating.</summary>
    public ReadOnlySpan<byte> ReadStringSpan()
    {
        var start = _position;
        var code = PeekCode();
        int headerSize;
        uint length;
        if (code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            headerSize = 1;
            length = (uint)(code & 0x1f);
        }
        else
        {
            headerSize = code switch
            {
                MessagePackCode.Str8 => 1 + 1,
                MessagePackCode.Str16 => 1 + 2,
                MessagePackCode.Str32 => 1 + 4,
                _ => throw MessagePackErrors.Unexpected("string", code, start),
            };
            length = ReadLength(headerSize - 1);
            _position = start;
        }

        return Take(headerSize, length);
    }

    /// <summary>The binary payload as a slice of the input.</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        var start = _position;
        var code = PeekCode();
        var lengthSize = code switch
        {
            MessagePackCode.Bin8 => 1,
            MessagePackCode.Bin16 => 2,
            MessagePackCode.Bin32 => 4,
            _ => throw MessagePackErrors.Unexpected("binary", code, start),
        };
        var length = ReadLength(lengthSize);
        _position = start;
        return Take(1 + lengthSize, length);
    }

    /// <summary>Element count; already checked to be no more than the remaining bytes could hold.</summary>
    public int ReadArrayHeader()
    {
        var start = _position;
        var code = PeekCode();
        long count;
        if (code is >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray)
        {
            _position++;
            count = code & 0x0f;
        }
        else
        {
            var lengthSize = code switch
            {
                MessagePackCode.Array16 => 2,
                MessagePackCode.Array32 => 4,
                _ => throw MessagePackErrors.Unexpected("array", code, start),
            };
            count = ReadLength(lengthSize);
        }

        // Each element needs at least one byte.
        var remaining = _buffer.Length - _position;
        if (count > remaining)
        {
            throw MessagePackErrors.CountTooLarge(count, remaining, start);
        }

        return (int)count;
    }

    /// <summary>Entry count; already checked to be no more than the remaining bytes could hold.</summary>
    public int ReadMapHeader()
    {
        var start = _position;
        var code = PeekCode();
        long count;
        if (code is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap)
        {
            _position++;
            count = code & 0x0f;
        }
        else
        {
            var lengthSize = code switch
            {
                MessagePackCode.Map16 => 2,
                MessagePackCode.Map32 => 4,
                _ => throw MessagePackErrors.Unexpected("map", code, start),
            };
            count = ReadLength(lengthSize);
        }

        // Each entry needs at least a one-byte key and a one-byte value.
        var remaining = _buffer.Length - _position;
        if (count * 2 > remaining)
        {
            throw MessagePackErrors.CountTooLarge(count, remaining, start);
        }

        return (int)count;
    }

    public MessagePackExtension ReadExtension()
    {
        var start = _position;
        var code = PeekCode();
        uint length;
        int headerSize;
        switch (code)
        {
            case MessagePackCode.FixExt1: length = 1; headerSize = 1; break;
            case MessagePackCode.FixExt2: length = 2; headerSize = 1; break;
            case MessagePackCode.FixExt4: length = 4; headerSize = 1; break;
            case MessagePackCode.FixExt8: length = 8; headerSize = 1; break;
            case MessagePackCode.FixExt16: length = 16; headerSize = 1; break;
            case MessagePackCode.Ext8: length = ReadLength(1); headerSize = 2; break;
            case MessagePackCode.Ext16: length = ReadLength(2); headerSize = 3; break;
            case MessagePackCode.Ext32: length = ReadLength(4); headerSize = 5; break;
            default: throw MessagePackErrors.Unexpected("extension", code, start);
        }

        _position = start;
        // The type byte sits between the header and the payload.
        var withType = Take(headerSize, (long)length + 1);
        return new MessagePackExtension(unchecked((sbyte)withType[0]), withType[1..]);
    }

    /// <summary>Reads extension type -1 in its 32, 64 or 96-bit layout.</summary>
    public MessagePackTimestamp ReadTimestamp()
    {
        var start = _position;
        var extension = ReadExtension();
        if (extension.Type != MessagePackCode.TimestampType)
        {
            throw new MessagePackFormatException($"Expected timestamp (extension -1) but found extension {extension.Type}", start);
        }

        var data = extension.Data;
        switch (data.Length)
        {
            case 4:
                return new MessagePackTimestamp(BinaryPrimitives.ReadUInt32BigEndian(data), 0);
            case 8:
            {
                var packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                var nanoseconds = (uint)(packed >> 34);
                CheckNanoseconds(nanoseconds, start);
                return new MessagePackTimestamp((long)(packed & 0x3_ffff_ffffUL), nanoseconds);
            }

            case 12:
            {
                var nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                CheckNanoseconds(nanoseconds, start);
                return new MessagePackTimestamp(BinaryPrimitives.ReadInt64BigEndian(data[4..]), nanoseconds);
            }

            default:
                throw new MessagePackFormatException($"Timestamp payload must be 4, 8 or 12 bytes, not {data.Length}", start);
        }
    }

    /// <summary>A timestamp as <see cref="DateTimeOffset"/>; one outside its range is a format error here.</summary>
    public DateTimeOffset ReadDateTimeOffset()
    {
        var start = _position;
        if (!ReadTimestamp().TryToDateTimeOffset(out var value))
        {
            throw new MessagePackFormatException("Timestamp is outside the DateTimeOffset range", start);
        }

        return value;
    }

    /// <summary>Skips the next value and returns its encoded bytes as a slice.</summary>
    public ReadOnlySpan<byte> ReadRaw()
    {
        var start = _position;
        Skip();
        return _buffer[start.._position];
    }

    /// <summary>
    /// Skips one whole value including everything nested in it. Iterative rather than recursive so
    /// that no configured <see cref="MaxDepth"/> can turn hostile nesting into a stack overflow.
    /// </summary>
    public void Skip()
    {
        var code = PeekCode();
        var type = MessagePackCode.TypeOf(code, _position);
        if (type is not (MessagePackType.Array or MessagePackType.Map))
        {
            // Most skipped values are scalars: no need for the nesting bookkeeping below.
            SkipScalar(code);
            return;
        }

        var limit = MaxDepth - _depth;
        // pending[d] = values still to skip inside the d-th open container; pending[0] is the value itself.
        // Sized by the limit but never beyond what the input could nest, so a huge MaxDepth allocates nothing silly.
        var slots = (int)Math.Min(limit, _buffer.Length - _position) + 1;
        Span<long> pending = slots <= StackDepthSlots ? stackalloc long[StackDepthSlots] : new long[slots];
        var open = 0;
        pending[0] = 1;
        while (true)
        {
            while (pending[open] == 0)
            {
                if (open == 0)
                {
                    return;
                }

                open--;
            }

            pending[open]--;
            var start = _position;
            code = PeekCode();
            long children;
            switch (MessagePackCode.TypeOf(code, start))
            {
                case MessagePackType.Array:
                    children = ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    children = 2L * ReadMapHeader();
                    break;
                default:
                    SkipScalar(code);
                    continue;
            }

            if (open >= limit)
            {
                throw MessagePackErrors.TooDeep(MaxDepth, start);
            }

            open++;
            pending[open] = children;
        }
    }

    private void SkipScalar(byte code)
    {
        switch (code)
        {
            case <= MessagePackCode.MaxPositiveFixInt:
            case >= MessagePackCode.MinNegativeFixInt:
            case MessagePackCode.Nil:
            case MessagePackCode.False:
            case MessagePackCode.True:
                _position++;
                return;
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
            case MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32:
                ReadStringSpan();
                return;
            case MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32:
                ReadBinary();
                return;
            case MessagePackCode.Float32:
                Take(1 + 4);
                return;
            case MessagePackCode.Float64:
                Take(1 + 8);
                return;
            case >= MessagePackCode.UInt8 and <= MessagePackCode.Int64:
                ReadIntegerBits(out _);
                return;
            default:
                // Only extensions are left: TypeOf has already rejected 0xc1 and containers went elsewhere.
                ReadExtension();
                return;
        }
    }

    /// <summary>The integer as 64 bits; <paramref name="signed"/> says whether to read them as two's complement.</summary>
    private ulong ReadIntegerBits(out bool signed)
    {
        var start = _position;
        var code = PeekCode();
        if (code <= MessagePackCode.MaxPositiveFixInt)
        {
            _position++;
            signed = false;
            return code;
        }

        if (code >= MessagePackCode.MinNegativeFixInt)
        {
            _position++;
            signed = true;
            return unchecked((ulong)(sbyte)code);
        }

        switch (code)
        {
            case MessagePackCode.UInt8:
                signed = false;
                return Take(2)[1];
            case MessagePackCode.UInt16:
                signed = false;
                return BinaryPrimitives.ReadUInt16BigEndian(Take(3)[1..]);
            case MessagePackCode.UInt32:
                signed = false;
                return BinaryPrimitives.ReadUInt32BigEndian(Take(5)[1..]);
            case MessagePackCode.UInt64:
                signed = false;
                return BinaryPrimitives.ReadUInt64BigEndian(Take(9)[1..]);
            case MessagePackCode.Int8:
                signed = true;
                return unchecked((ulong)(sbyte)Take(2)[1]);
            case MessagePackCode.Int16:
                signed = true;
                return unchecked((ulong)BinaryPrimitives.ReadInt16BigEndian(Take(3)[1..]));
            case MessagePackCode.Int32:
                signed = true;
                return unchecked((ulong)BinaryPrimitives.ReadInt32BigEndian(Take(5)[1..]));
            case MessagePackCode.Int64:
                signed = true;
                return unchecked((ulong)BinaryPrimitives.ReadInt64BigEndian(Take(9)[1..]));
            default:
                throw MessagePackErrors.Unexpected("integer", code, start);
        }
    }

    private static void CheckNanoseconds(uint nanoseconds, int offset)
    {
        if (nanoseconds > MessagePackTimestamp.MaxNanoseconds)
        {
            throw new MessagePackFormatException($"Timestamp nanoseconds {nanoseconds} exceed 999999999", offset);
        }
    }

    private readonly byte PeekCode()
    {
        if (_position >= _buffer.Length)
        {
            throw MessagePackErrors.Truncated(_position, 1);
        }

        return _buffer[_position];
    }

    /// <summary>Reads the big-endian length field that follows the format byte, leaving Position after it.</summary>
    private uint ReadLength(int size)
    {
        var field = Take(1 + size)[1..];
        return size switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(field),
            _ => BinaryPrimitives.ReadUInt32BigEndian(field),
        };
    }

    private ReadOnlySpan<byte> Take(int count) => Take(0, count);

    /// <summary>Consumes <paramref name="skip"/> header bytes plus <paramref name="length"/> payload bytes and returns the payload.</summary>
    private ReadOnlySpan<byte> Take(int skip, long length)
    {
        // 64-bit arithmetic: a uint32 length (plus an extension's type byte) must not wrap around.
        var available = (long)_buffer.Length - _position;
        var needed = skip + length;
        if (needed > available)
        {
            throw MessagePackErrors.Truncated(_position, needed - available);
        }

        var slice = _buffer.Slice(_position + skip, (int)length);
        _position += skip + (int)length;
        return slice;
    }
}
