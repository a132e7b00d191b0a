using Gatehouse.MessagePack;

namespace Gatehouse.Tests.MessagePack;

/// <summary>Hostile or broken input must raise MessagePackFormatException and nothing else.</summary>
public sealed class MalformedInputTests
{
    /// <summary>One valid encoding of every format family, each with the typed read that consumes it.</summary>
    public static TheoryData<string, string> Families() => new()
    {
        { "nil", Pack.Hex((ref MessagePackWriter w) => w.WriteNil()) },
        { "uint8", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(200)) },
        { "uint16", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(60_000)) },
        { "uint32", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(4_000_000_000)) },
        { "uint64", Pack.Hex((ref MessagePackWriter w) => w.WriteUInt64(ulong.MaxValue)) },
        { "int8", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(-100)) },
        { "int16", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(-30_000)) },
        { "int32", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(-2_000_000_000)) },
        { "int64", Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(long.MinValue)) },
        { "float32", Pack.Hex((ref MessagePackWriter w) => w.WriteSingle(1.5f)) },
        { "float64", Pack.Hex((ref MessagePackWriter w) => w.WriteDouble(0.1)) },
        { "fixstr", Pack.Hex((ref MessagePackWriter w) => w.WriteString("héllo")) },
        { "str8", Pack.Hex((ref MessagePackWriter w) => w.WriteString(new string('a', 40))) },
        { "str16", Pack.Hex((ref MessagePackWriter w) => w.WriteString(new string('a', 300))) },
        { "str32", Pack.Hex((ref MessagePackWriter w) => w.WriteString(new string('a', 70_000))) },
        { "bin8", Pack.Hex((ref MessagePackWriter w) => w.WriteBinary([1, 2, 3])) },
        { "bin16", Pack.Hex((ref MessagePackWriter w) => w.WriteBinary(new byte[300])) },
        { "bin32", Pack.Hex((ref MessagePackWriter w) => w.WriteBinary(new byte[70_000])) },
        { "fixarray", Pack.Hex((ref MessagePackWriter w) => { w.WriteArrayHeader(2); w.WriteInt64(1); w.WriteString("x"); }) },
        { "array16", Pack.Hex((ref MessagePackWriter w) => { w.WriteArrayHeader(16); for (var i = 0; i < 16; i++) { w.WriteInt64(i); } }) },
        { "array32", Pack.Hex((ref MessagePackWriter w) => { w.WriteArrayHeader(65_536); for (var i = 0; i < 65_536; i++) { w.WriteNil(); } }) },
        { "fixmap", Pack.Hex((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.WriteString("k"); w.WriteArrayHeader(1); w.WriteNil(); }) },
        { "map16", Pack.Hex((ref MessagePackWriter w) => { w.WriteMapHeader(16); for (var i = 0; i < 16; i++) { w.WriteInt64(i); w.WriteBoolean(true); } }) },
        { "map32", Pack.Hex((ref MessagePackWriter w) => { w.WriteMapHeader(65_536); for (var i = 0; i < 65_536; i++) { w.WriteNil(); w.WriteNil(); } }) },
        { "fixext1", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, [1])) },
        { "fixext2", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, [1, 2])) },
        { "fixext4", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, [1, 2, 3, 4])) },
        { "fixext8", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, new byte[8])) },
        { "fixext16", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, new byte[16])) },
        { "ext8", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, new byte[3])) },
        { "ext16", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, new byte[300])) },
        { "ext32", Pack.Hex((ref MessagePackWriter w) => w.WriteExtension(1, new byte[70_000])) },
        { "timestamp32", Pack.Hex((ref MessagePackWriter w) => w.WriteTimestamp(1, 0)) },
        { "timestamp64", Pack.Hex((ref MessagePackWriter w) => w.WriteTimestamp(1, 1)) },
        { "timestamp96", Pack.Hex((ref MessagePackWriter w) => w.WriteTimestamp(-1, 1)) },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void EveryTruncationIsAFormatError(string family, string hex)
    {
        var valid = Convert.FromHexString(hex);
        // Long encodings: every cut inside the header and the first bytes, then a sample of the payload.
        var cuts = Enumerable.Range(0, valid.Length).Where(n => valid.Length < 400 || n < 300 || n % 997 == 0 || n == valid.Length - 1);
        foreach (var cut in cuts)
        {
            var truncated = valid[..cut];
            var error = Pack.Malformed(truncated, (ref MessagePackReader r) => r.Skip());
            Assert.InRange(error.Offset, 0, cut);
            Pack.Malformed(truncated, (ref MessagePackReader r) => ReadTyped(ref r, family));
        }

        var whole = new MessagePackReader(valid);
        ReadTyped(ref whole, family);
        Assert.True(whole.End, family);
    }

    [Theory]
    [InlineData("c1")]
    [InlineData("91c1")]
    [InlineData("81c1c0")]
    [InlineData("81a161c1")]
    [InlineData("93c0c0c1")]
    public void ReservedByteIsRejected(string hex)
    {
        var error = Pack.Malformed(Convert.FromHexString(hex), (ref MessagePackReader r) => r.Skip());
        Assert.Equal(hex.Length / 2 - (hex.EndsWith("c0", StringComparison.Ordinal) ? 2 : 1), error.Offset);
    }

    [Fact]
    public void ReservedByteIsRejectedByEveryTypedRead()
    {
        byte[] input = [0xc1];
        Pack.Malformed(input, (ref MessagePackReader r) => _ = r.NextType);
        Pack.Malformed(input, (ref MessagePackReader r) => r.ReadInt64());
        Pack.Malformed(input, (ref MessagePackReader r) => r.ReadString());
        Pack.Malformed(input, (ref MessagePackReader r) => r.ReadArrayHeader());
        Pack.Malformed(input, (ref MessagePackReader r) => r.ReadBoolean());
    }

    [Theory]
    [InlineData("d9ff61")]
    [InlineData("da010061")]
    [InlineData("dbffffffff61")]
    [InlineData("db7fffffff")]
    [InlineData("c4ff00")]
    [InlineData("c5ffff00")]
    [InlineData("c6ffffffff00")]
    [InlineData("c7ff01")]
    [InlineData("c8ffff01")]
    [InlineData("c9ffffffff01")]
    [InlineData("c90000000101")]
    [InlineData("c9ffffffff")]
    [InlineData("d801000102")]
    [InlineData("bf61")]
    public void LengthPastTheEndIsRejected(string hex)
        => Pack.Malformed(Convert.FromHexString(hex), (ref MessagePackReader r) => r.Skip());

    [Theory]
    [InlineData("ddffffffff", 4)]
    [InlineData("dfffffffff", 4)]
    [InlineData("dcffff", 100)]
    [InlineData("deffff", 100)]
    [InlineData("9f", 14)]
    [InlineData("8f", 29)]
    public void HugeCountsWithFewBytesAreRejectedUpFront(string header, int payload)
    {
        var input = Convert.FromHexString(header).Concat(new byte[payload]).ToArray();
        var isArray = header[0] is '9' || header.StartsWith("dc", StringComparison.Ordinal) || header.StartsWith("dd", StringComparison.Ordinal);

        // Warm up so JIT and first-exception costs are not measured.
        Pack.Malformed(input, (ref MessagePackReader r) => r.Skip());

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            Pack.Malformed(input, (ref MessagePackReader r) => r.Skip());
            Pack.Malformed(input, isArray ? (ref MessagePackReader r) => r.ReadArrayHeader() : (ref MessagePackReader r) => r.ReadMapHeader());
        }

        var perAttempt = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        // Exception objects and stack traces only; a 4-billion-element buffer would be gigabytes.
        Assert.True(perAttempt < 16 * 1024, $"allocated {perAttempt} bytes per rejected header");
    }

    [Fact]
    public void MapNeedsTwoBytesPerEntry()
    {
        // 3 entries, 5 bytes left: each entry needs a key and a value, so 6 bytes is the minimum.
        Pack.Malformed(Convert.FromHexString("83c0c0c0c0c0"), (ref MessagePackReader r) => r.ReadMapHeader());
        Assert.Equal(3, new MessagePackReader(Convert.FromHexString("83c0c0c0c0c0c0")).ReadMapHeader());
    }

    [Fact]
    public void DepthBombIsRejectedWithoutRecursion()
    {
        var bomb = Enumerable.Repeat((byte)0x91, 100_000).Append((byte)0xc0).ToArray();
        var error = Pack.Malformed(bomb, (ref MessagePackReader r) => r.Skip());
        Assert.Equal(MessagePackReader.DefaultMaxDepth, error.Offset);

        var maps = Enumerable.Repeat(new byte[] { 0x81, 0xc0 }, 100_000).SelectMany(b => b).Append((byte)0xc0).ToArray();
        Pack.Malformed(maps, (ref MessagePackReader r) => r.Skip());

        // Even with the limit lifted, Skip walks it iteratively: no stack overflow.
        var lifted = new MessagePackReader(bomb, maxDepth: int.MaxValue);
        lifted.Skip();
        Assert.True(lifted.End);
    }

    [Fact]
    public void DepthLimitIsExactAndConfigurable()
    {
        byte[] Nested(int depth) => Enumerable.Repeat((byte)0x91, depth).Append((byte)0xc0).ToArray();

        var atLimit = new MessagePackReader(Nested(64));
        atLimit.Skip();
        Assert.True(atLimit.End);
        Pack.Malformed(Nested(65), (ref MessagePackReader r) => r.Skip());

        var custom = new MessagePackReader(Nested(10), maxDepth: 10);
        custom.Skip();
        Pack.Malformed(Nested(11), (ref MessagePackReader r) => r.Skip(), maxDepth: 10);
        // An empty container still counts as a level.
        Pack.Malformed(Enumerable.Repeat((byte)0x91, 10).Append((byte)0x90).ToArray(), (ref MessagePackReader r) => r.Skip(), maxDepth: 10);
    }

    [Fact]
    public void EnteredContainersCountTowardsTheLimit()
    {
        var input = Enumerable.Repeat((byte)0x91, 3).Append((byte)0xc0).ToArray();
        Pack.Malformed(input, (ref MessagePackReader r) =>
        {
            r.ReadArrayHeader();
            r.EnterContainer();
            r.ReadArrayHeader();
            r.EnterContainer();
            r.Skip(); // [nil] at depth 3 > 2
        }, maxDepth: 2);

        Pack.Malformed(input, (ref MessagePackReader r) =>
        {
            r.EnterContainer();
            r.EnterContainer();
            r.EnterContainer();
        }, maxDepth: 2);
    }

    [Theory]
    [InlineData("a2c328")] // invalid continuation
    [InlineData("a3eda080")] // UTF-16 surrogate encoded in UTF-8
    [InlineData("a2c0af")] // overlong '/'
    [InlineData("a1ff")]
    [InlineData("a2e282")] // truncated sequence
    [InlineData("a4f4908080")] // above U+10FFFF
    public void InvalidUtf8IsRejectedByReadString(string hex)
    {
        var input = Convert.FromHexString(hex);
        Pack.Malformed(input, (ref MessagePackReader r) => r.ReadString());
        // Raw access and skipping do not validate: they never decode.
        var reader = new MessagePackReader(input);
        Assert.Equal(input.Length - 1, reader.ReadStringSpan().Length);
    }

    [Theory]
    [InlineData("c703ff000000")] // 3-byte payload
    [InlineData("d5ff0000")] // 2-byte payload
    [InlineData("d8ff00000000000000000000000000000000")] // 16-byte payload
    [InlineData("d7ffee6b280000000000")] // 64-bit, nanoseconds = 1e9
    [InlineData("d7ffffffffff00000000")] // 64-bit, nanoseconds = 2^30-1
    [InlineData("c70cff3b9aca000000000000000000")] // 96-bit, nanoseconds = 1e9
    [InlineData("d60500000000")] // extension 5, not a timestamp
    [InlineData("ce00000000")] // not an extension at all
    public void BadTimestampsAreRejected(string hex)
        => Pack.Malformed(Convert.FromHexString(hex), (ref MessagePackReader r) => r.ReadTimestamp());

    [Theory]
    [InlineData("cf8000000000000000")]
    [InlineData("cfffffffffffffffff")]
    public void Int64OverflowIsAFormatError(string hex)
        => Pack.Malformed(Convert.FromHexString(hex), (ref MessagePackReader r) => r.ReadInt64());

    [Theory]
    [InlineData("ff")]
    [InlineData("d0ff")]
    [InlineData("d38000000000000000")]
    public void NegativeUInt64IsAFormatError(string hex)
        => Pack.Malformed(Convert.FromHexString(hex), (ref MessagePackReader r) => r.ReadUInt64());

    [Theory]
    [InlineData("ce80000000")]
    [InlineData("d2ffffffff", true)]
    [InlineData("d3ffffffff7fffffff")]
    public void Int32OverflowIsAFormatError(string hex, bool fits = false)
    {
        var input = Convert.FromHexString(hex);
        if (fits)
        {
            Assert.Equal(-1, new MessagePackReader(input).ReadInt32());
            return;
        }

        Pack.Malformed(input, (ref MessagePackReader r) => r.ReadInt32());
    }

    [Fact]
    public void WrongTypeIsAFormatError()
    {
        Pack.Malformed([0x01], (ref MessagePackReader r) => r.ReadString());
        Pack.Malformed([0xa1, 0x61], (ref MessagePackReader r) => r.ReadInt64());
        Pack.Malformed([0xa1, 0x61], (ref MessagePackReader r) => r.ReadDouble());
        Pack.Malformed([0xc0], (ref MessagePackReader r) => r.ReadBoolean());
        Pack.Malformed([0x90], (ref MessagePackReader r) => r.ReadMapHeader());
        Pack.Malformed([0x80], (ref MessagePackReader r) => r.ReadArrayHeader());
        Pack.Malformed([0xc4, 0x00], (ref MessagePackReader r) => r.ReadStringSpan());
        Pack.Malformed([0xa0], (ref MessagePackReader r) => r.ReadBinary());
        Pack.Malformed([0xa0], (ref MessagePackReader r) => r.ReadExtension());
        Pack.Malformed([0x01], (ref MessagePackReader r) => r.ReadNil());
        Pack.Malformed([], (ref MessagePackReader r) => r.TryReadNil());
        Pack.Malformed([], (ref MessagePackReader r) => _ = r.NextType);
    }

    private static void ReadTyped(ref MessagePackReader reader, string family)
    {
        switch (family)
        {
            case "nil":
                reader.ReadNil();
                break;
            case "uint64":
                reader.ReadUInt64();
                break;
            case var f when f.StartsWith("uint", StringComparison.Ordinal) || f.StartsWith("int", StringComparison.Ordinal):
                reader.ReadInt64();
                break;
            case var f when f.StartsWith("float", StringComparison.Ordinal):
                reader.ReadDouble();
                break;
            case var f when f.Contains("str", StringComparison.Ordinal):
                reader.ReadString();
                break;
            case var f when f.StartsWith("bin", StringComparison.Ordinal):
                reader.ReadBinary();
                break;
            case var f when f.StartsWith("timestamp", StringComparison.Ordinal):
                reader.ReadTimestamp();
                break;
            case var f when f.Contains("ext", StringComparison.Ordinal):
                reader.ReadExtension();
                break;
            case var f when f.Contains("array", StringComparison.Ordinal):
                var count = reader.ReadArrayHeader();
                for (var i = 0; i < count; i++)
                {
                    reader.Skip();
                }

                break;
            case var f when f.Contains("map", StringComparison.Ordinal):
                var entries = reader.ReadMapHeader();
                for (var i = 0; i < entries * 2; i++)
                {
                    reader.Skip();
                }

                break;
            default:
                throw new InvalidOperationException(family);
        }
    }
}
