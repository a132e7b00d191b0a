using System.Text;
using Gatehouse.MessagePack;

namespace Gatehouse.Tests.Fuzzing;

/// <summary>
/// A MessagePack value tree independent of the codec, for round-trip properties: generated at random,
/// written with <see cref="MessagePackWriter"/>, read back with <see cref="MessagePackReader"/>, and
/// compared through <see cref="ToString"/>, a canonical rendering (floats by bit pattern, so NaN and -0 count).
/// </summary>
internal sealed class PackValue
{
    private PackValue(PackKind kind) => Kind = kind;

    public PackKind Kind { get; }

    public long Integer { get; private init; }

    public ulong Unsigned { get; private init; }

    public double Float { get; private init; }

    public string Text { get; private init; } = "";

    public byte[] Bytes { get; private init; } = [];

    public sbyte ExtensionType { get; private init; }

    public MessagePackTimestamp Timestamp { get; private init; }

    /// <summary>Array elements, or map entries as key, value, key, value...</summary>
    public IReadOnlyList<PackValue> Children { get; private init; } = [];

    public static PackValue Random(Random random, int depth)
    {
        var kinds = depth <= 0 ? 10 : 12; // containers only while depth remains
        return (PackKind)random.Next(kinds) switch
        {
            PackKind.Nil => new PackValue(PackKind.Nil),
            PackKind.Boolean => new PackValue(PackKind.Boolean) { Integer = random.Next(2) },
            PackKind.Integer => new PackValue(PackKind.Integer) { Integer = Int64(random) },
            PackKind.Unsigned => new PackValue(PackKind.Unsigned) { Unsigned = (ulong)long.MaxValue + 1 + (ulong)random.NextInt64(long.MaxValue) },
            PackKind.Float32 => new PackValue(PackKind.Float32) { Float = BitConverter.Int32BitsToSingle(random.Next()) },
            PackKind.Float64 => Double(random.Next(3) == 0 ? random.Next() / 4.0 : BitConverter.Int64BitsToDouble(random.NextInt64())),
            PackKind.String => new PackValue(PackKind.String) { Text = RandomConfigs.Text(random) },
            PackKind.Binary => new PackValue(PackKind.Binary) { Bytes = RandomBytes(random) },
            PackKind.Extension => new PackValue(PackKind.Extension)
            {
                // -1 is the timestamp type, generated separately with a valid payload.
                ExtensionType = (sbyte)random.Next(0, 128),
                Bytes = random.Next(2) == 0 ? new byte[Sizes[random.Next(Sizes.Length)]] : RandomBytes(random),
            },
            PackKind.Timestamp => new PackValue(PackKind.Timestamp)
            {
                Timestamp = new MessagePackTimestamp(
                    random.Next(3) switch { 0 => random.Next(), 1 => random.NextInt64(1L << 34), _ => random.NextInt64(long.MinValue, long.MaxValue) },
                    random.Next(2) == 0 ? 0u : (uint)random.Next(1_000_000_000)),
            },
            PackKind.Array => new PackValue(PackKind.Array) { Children = RandomChildren(random, depth, 1) },
            _ => new PackValue(PackKind.Map) { Children = RandomChildren(random, depth, 2) },
        };
    }

    public void Write(ref MessagePackWriter writer)
    {
        switch (Kind)
        {
            case PackKind.Nil: writer.WriteNil(); break;
            case PackKind.Boolean: writer.WriteBoolean(Integer != 0); break;
            case PackKind.Integer: writer.WriteInt64(Integer); break;
            case PackKind.Unsigned: writer.WriteUInt64(Unsigned); break;
            case PackKind.Float32: writer.WriteSingle((float)Float); break;
            case PackKind.Float64: writer.WriteDouble(Float); break;
            case PackKind.String: writer.WriteString(Text); break;
            case PackKind.Binary: writer.WriteBinary(Bytes); break;
            case PackKind.Extension: writer.WriteExtension(ExtensionType, Bytes); break;
            case PackKind.Timestamp: writer.WriteTimestamp(Timestamp); break;
            case PackKind.Array:
                writer.WriteArrayHeader(Children.Count);
                WriteChildren(ref writer);
                break;
            default:
                writer.WriteMapHeader(Children.Count / 2);
                WriteChildren(ref writer);
                break;
        }
    }

    public static PackValue Read(ref MessagePackReader reader)
    {
        switch (reader.NextType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return new PackValue(PackKind.Nil);
            case MessagePackType.Boolean:
                return new PackValue(PackKind.Boolean) { Integer = reader.ReadBoolean() ? 1 : 0 };
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    var bits = reader.ReadUInt64();
                    return bits > long.MaxValue
                        ? new PackValue(PackKind.Unsigned) { Unsigned = bits }
                        : new PackValue(PackKind.Integer) { Integer = (long)bits };
                }

                return new PackValue(PackKind.Integer) { Integer = reader.ReadInt64() };
            case MessagePackType.Float:
                return new PackValue(reader.NextCode == MessagePackCode.Float32 ? PackKind.Float32 : PackKind.Float64) { Float = reader.ReadDouble() };
            case MessagePackType.String:
                return new PackValue(PackKind.String) { Text = reader.ReadString() };
            case MessagePackType.Binary:
                return new PackValue(PackKind.Binary) { Bytes = reader.ReadBinary().ToArray() };
            case MessagePackType.Extension:
                var copy = reader;
                if (copy.ReadExtension().Type == MessagePackCode.TimestampType)
                {
                    return new PackValue(PackKind.Timestamp) { Timestamp = reader.ReadTimestamp() };
                }

                var extension = reader.ReadExtension();
                return new PackValue(PackKind.Extension) { ExtensionType = extension.Type, Bytes = extension.Data.ToArray() };
            case MessagePackType.Array:
                return new PackValue(PackKind.Array) { Children = ReadChildren(ref reader, reader.ReadArrayHeader()) };
            default:
                return new PackValue(PackKind.Map) { Children = ReadChildren(ref reader, 2 * reader.ReadMapHeader()) };
        }
    }

    public override string ToString()
    {
        var builder = new StringBuilder();
        Render(builder);
        return builder.ToString();
    }

    /// <summary>The writer narrows a double to float32 when that is exact, so such values are expected back as float32.</summary>
    private static PackValue Double(double value)
        => new((double)(float)value == value ? PackKind.Float32 : PackKind.Float64) { Float = value };

    private static readonly int[] Sizes = [0, 1, 2, 3, 4, 8, 16, 17, 255, 256, 300];

    private static long Int64(Random random) => random.Next(8) switch
    {
        0 => random.Next(-32, 128), // fixints
        1 => random.Next(-129, 256),
        2 => random.Next(-40_000, 70_000),
        3 => random.NextInt64(-5_000_000_000, 5_000_000_000),
        4 => long.MinValue,
        5 => long.MaxValue,
        _ => random.NextInt64(long.MinValue, long.MaxValue),
    };

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(20) == 0 ? random.Next(256, 70_000) : random.Next(0, 40)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static PackValue[] RandomChildren(Random random, int depth, int per)
    {
        var count = (random.Next(15) == 0 ? random.Next(16, 40) : random.Next(6)) * per;
        var children = new PackValue[count];
        for (var i = 0; i < count; i++)
        {
            children[i] = Random(random, depth - 1);
        }

        return children;
    }

    private void WriteChildren(ref MessagePackWriter writer)
    {
        foreach (var child in Children)
        {
            child.Write(ref writer);
        }
    }

    private static PackValue[] ReadChildren(ref MessagePackReader reader, int count)
    {
        reader.EnterContainer();
        var children = new PackValue[count];
        for (var i = 0; i < count; i++)
        {
            children[i] = Read(ref reader);
        }

        reader.ExitContainer();
        return children;
    }

    private void Render(StringBuilder builder)
    {
        switch (Kind)
        {
            case PackKind.Nil: builder.Append("nil"); break;
            case PackKind.Boolean: builder.Append(Integer != 0 ? "true" : "false"); break;
            case PackKind.Integer: builder.Append("i:").Append(Integer); break;
            case PackKind.Unsigned: builder.Append("u:").Append(Unsigned); break;
            case PackKind.Float32:
                // The reader returns float32 as double, and widening quiets a signalling NaN: any NaN is "the same".
                builder.Append("f32:").Append(float.IsNaN((float)Float) ? "nan" : BitConverter.SingleToInt32Bits((float)Float).ToString("x8", null));
                break;
            case PackKind.Float64: builder.Append("f64:").Append(BitConverter.DoubleToInt64Bits(Float).ToString("x16", null)); break;
            case PackKind.String: builder.Append("s:\"").Append(Text).Append('"'); break;
            case PackKind.Binary: builder.Append("b:").Append(Convert.ToHexStringLower(Bytes)); break;
            case PackKind.Extension: builder.Append("x").Append(ExtensionType).Append(':').Append(Convert.ToHexStringLower(Bytes)); break;
            case PackKind.Timestamp: builder.Append("t:").Append(Timestamp); break;
            default:
                builder.Append(Kind == PackKind.Array ? '[' : '{');
                foreach (var child in Children)
                {
                    child.Render(builder);
                    builder.Append(',');
                }

                builder.Append(Kind == PackKind.Array ? ']' : '}');
                break;
        }
    }
}
