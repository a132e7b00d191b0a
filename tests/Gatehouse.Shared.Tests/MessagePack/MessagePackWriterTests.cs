using Gatehouse.MessagePack;

namespace Gatehouse.Tests.MessagePack;

public sealed class MessagePackWriterTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void Int64UsesTheShortestFamilyAndRoundTrips(long value, string hex)
    {
        Assert.Equal(hex, Pack.Hex((ref MessagePackWriter w) => w.WriteInt64(value)));
        var reader = new MessagePackReader(Pack.FromHex(hex));
        Assert.Equal(value, reader.ReadInt64());
        Assert.True(reader.End);
    }

    [Fact]
    public void UInt64MaxUsesUInt64()
    {
        Assert.Equal("cfffffffffffffffff", Pack.Hex((ref MessagePackWriter w) => w.WriteUInt64(ulong.MaxValue)));
        Assert.Equal(ulong.MaxValue, new MessagePackReader(Pack.FromHex("cfffffffffffffffff")).ReadUInt64());
    }

    [Theory]
    [InlineData("ceffffffff")]
    [InlineData("ce7fffffff")]
    [InlineData("d280000000")]
    [InlineData("d3000000007fffffff")]
    [InlineData("d3ffffffff7fffffff")]
    [InlineData("cc80")]
    public void ReadInt32AcceptsAnyFamilyThatFits(string hex)
    {
        var bytes = Pack.FromHex(hex);
        var value = new MessagePackReader(bytes).ReadInt64();
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            Assert.Equal((int)value, new MessagePackReader(bytes).ReadInt32());
        }
        else
        {
            Pack.Malformed(bytes, (ref MessagePackReader r) => r.ReadInt32());
        }
    }

    [Theory]
    [InlineData(1.5, "ca3fc00000")]
    [InlineData(-0.0, "ca80000000")]
    [InlineData(double.PositiveInfinity, "ca7f800000")]
    [InlineData(0.1, "cb3fb999999999999a")]
    [InlineData(1e300, "cb7e37e43c8800759c")]
    public void DoubleNarrowsOnlyWhenExact(double value, string hex)
    {
        Assert.Equal(hex, Pack.Hex((ref MessagePackWriter w) => w.WriteDouble(value)));
        var read = new MessagePackReader(Pack.FromHex(hex)).ReadDouble();
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(read));
    }

    [Fact]
    public void NaNKeepsFloat64()
    {
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteDouble(double.NaN));
        Assert.Equal(0xcb, bytes[0]);
        Assert.True(double.IsNaN(new MessagePackReader(bytes).ReadDouble()));
    }

    [Fact]
    public void SingleIsFloat32()
        => Assert.Equal("ca3f800000", Pack.Hex((ref MessagePackWriter w) => w.WriteSingle(1f)));

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void StringHeadersAtEveryBoundary(int length, string header)
    {
        var text = new string('x', length);
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteString(text));
        Assert.Equal(header, Convert.ToHexStringLower(bytes.AsSpan(0, header.Length / 2)));
        Assert.Equal(header.Length / 2 + length, bytes.Length);
        Assert.Equal(text, new MessagePackReader(bytes).ReadString());

        var fromUtf8 = Pack.Bytes((ref MessagePackWriter w) => w.WriteStringUtf8(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal(bytes, fromUtf8);
    }

    [Fact]
    public void StringCountsUtf8BytesNotChars()
    {
        // 10 × U+00E9 is 20 UTF-8 bytes; 16 × U+1F37A is 64 bytes (str8) though only 32 chars.
        Assert.Equal("b4", Pack.Hex((ref MessagePackWriter w) => w.WriteString(new string('é', 10)))[..2]);
        var beer = string.Concat(Enumerable.Repeat("\U0001F37A", 16));
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteString(beer));
        Assert.Equal("d940", Convert.ToHexStringLower(bytes.AsSpan(0, 2)));
        Assert.Equal(beer, new MessagePackReader(bytes).ReadString());
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(65535, "c5ffff")]
    [InlineData(65536, "c600010000")]
    public void BinaryHeadersAtEveryBoundary(int length, string header)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteBinary(data));
        Assert.Equal(header, Convert.ToHexStringLower(bytes.AsSpan(0, header.Length / 2)));
        Assert.Equal(data, new MessagePackReader(bytes).ReadBinary().ToArray());
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65535, "dcffff", "deffff")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void ContainerHeadersAtEveryBoundary(int count, string arrayHeader, string mapHeader)
    {
        Assert.Equal(arrayHeader, Pack.Hex((ref MessagePackWriter w) => w.WriteArrayHeader(count)));
        Assert.Equal(mapHeader, Pack.Hex((ref MessagePackWriter w) => w.WriteMapHeader(count)));

        var array = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(count);
            for (var i = 0; i < count; i++)
            {
                w.WriteNil();
            }
        });
        var reader = new MessagePackReader(array);
        Assert.Equal(count, reader.ReadArrayHeader());

        var map = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(count);
            for (var i = 0; i < count; i++)
            {
                w.WriteInt64(i);
                w.WriteNil();
            }
        });
        reader = new MessagePackReader(map);
        Assert.Equal(count, reader.ReadMapHeader());
        reader = new MessagePackReader(map);
        reader.Skip();
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(1, "d4")]
    [InlineData(2, "d5")]
    [InlineData(4, "d6")]
    [InlineData(8, "d7")]
    [InlineData(16, "d8")]
    [InlineData(0, "c700")]
    [InlineData(3, "c703")]
    [InlineData(17, "c711")]
    [InlineData(255, "c7ff")]
    [InlineData(256, "c80100")]
    [InlineData(65536, "c900010000")]
    public void ExtensionUsesFixExtWhenItCan(int length, string header)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteExtension(42, data));
        Assert.Equal(header + "2a", Convert.ToHexStringLower(bytes.AsSpan(0, header.Length / 2 + 1)));
        var extension = new MessagePackReader(bytes).ReadExtension();
        Assert.Equal(42, extension.Type);
        Assert.Equal(data, extension.Data.ToArray());
    }

    [Theory]
    [InlineData(0L, 0u, "d6ff00000000")]
    [InlineData(4294967295L, 0u, "d6ffffffffff")]
    [InlineData(4294967296L, 0u, "d7ff0000000100000000")]
    [InlineData(0L, 1u, "d7ff0000000400000000")]
    [InlineData(17179869183L, 999999999u, "d7ffee6b27ffffffffff")]
    [InlineData(17179869184L, 0u, "c70cff000000000000000400000000")]
    [InlineData(-1L, 999999999u, "c70cff3b9ac9ffffffffffffffffff")]
    public void TimestampPicksTheSmallestLayout(long seconds, uint nanoseconds, string hex)
    {
        Assert.Equal(hex, Pack.Hex((ref MessagePackWriter w) => w.WriteTimestamp(seconds, nanoseconds)));
        var read = new MessagePackReader(Pack.FromHex(hex)).ReadTimestamp();
        Assert.Equal(new MessagePackTimestamp(seconds, nanoseconds), read);
    }

    [Theory]
    [InlineData("2026-11-22T04:18:24.1234567Z")]
    [InlineData("1969-12-31T23:59:59.9Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void DateTimeOffsetRoundTrips(string text)
    {
        var value = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteTimestamp(value));
        Assert.Equal(value, new MessagePackReader(bytes).ReadDateTimeOffset());
    }

    [Fact]
    public void TimestampBeforeYearOneIsReadableButNotADateTimeOffset()
    {
        var bytes = Pack.Bytes((ref MessagePackWriter w) => w.WriteTimestamp(-62167219200, 0));
        Assert.Equal(-62167219200, new MessagePackReader(bytes).ReadTimestamp().Seconds);
        Pack.Malformed(bytes, (ref MessagePackReader r) => r.ReadDateTimeOffset());
    }

    [Fact]
    public void NilBooleanAndPeeking()
    {
        var bytes = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteNil();
            w.WriteBoolean(true);
            w.WriteBoolean(false);
        });
        Assert.Equal("c0c3c2", Convert.ToHexStringLower(bytes));
        var reader = new MessagePackReader(bytes);
        Assert.Equal(MessagePackType.Nil, reader.NextType);
        Assert.True(reader.TryReadNil());
        Assert.False(reader.TryReadNil());
        Assert.Equal(MessagePackType.Boolean, reader.NextType);
        Assert.True(reader.ReadBoolean());
        Assert.False(reader.ReadBoolean());
        Assert.True(reader.End);
    }

    [Fact]
    public void SlicesPointIntoTheInput()
    {
        var bytes = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteString("key");
            w.WriteBinary([1, 2, 3]);
        });
        var reader = new MessagePackReader(bytes);
        var key = reader.ReadStringSpan();
        var binary = reader.ReadBinary();
        Assert.True(key.SequenceEqual("key"u8));
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(key), ref bytes[1]));
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(binary), ref bytes[6]));
    }

    [Fact]
    public void ReadRawReturnsTheWholeNestedValue()
    {
        var bytes = Pack.Bytes((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.WriteMapHeader(1);
            w.WriteString("a");
            w.WriteTimestamp(1, 0);
            w.WriteBinary([9]);
            w.WriteInt64(7);
        });
        var reader = new MessagePackReader(bytes);
        Assert.Equal(bytes[..^1], reader.ReadRaw().ToArray());
        Assert.Equal(7, reader.ReadInt64());
    }

    [Fact]
    public void WriterRejectsCallerErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pack.Bytes((ref MessagePackWriter w) => w.WriteArrayHeader(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pack.Bytes((ref MessagePackWriter w) => w.WriteTimestamp(0, 1_000_000_000)));
    }
}
