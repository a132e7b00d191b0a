using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HpackEncoderTests
{
    [Theory]
    [InlineData(200, 8)]
    [InlineData(204, 9)]
    [InlineData(206, 10)]
    [InlineData(304, 11)]
    [InlineData(400, 12)]
    [InlineData(404, 13)]
    [InlineData(500, 14)]
    public void IndexedStatusIsOneOctet(int status, int index)
    {
        var buffer = new byte[5];

        Assert.Equal(1, HpackEncoder.WriteStatus(status, buffer));

        Assert.Equal(0x80 | index, buffer[0]);
        Assert.Equal([(":status", status.ToString())], DecodeAll(buffer[..1]));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(101)]
    [InlineData(201)]
    [InlineData(302)]
    [InlineData(503)]
    [InlineData(999)]
    public void OtherStatusIsALiteralWithTheIndexedName(int status)
    {
        var buffer = new byte[5];

        Assert.Equal(5, HpackEncoder.WriteStatus(status, buffer));

        Assert.Equal([0x08, 0x03, .. System.Text.Encoding.ASCII.GetBytes(status.ToString())], buffer);
        var decoder = new HpackDecoder();
        var sink = new RecordingSink();
        Assert.True(decoder.Decode(buffer, sink));
        Assert.Equal([(":status", status.ToString())], sink.Fields);
        Assert.Equal(0, decoder.DynamicTable.Count);
    }

    [Fact]
    public void StatusOutOfRangeOrTooSmallABufferIsACallerError()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HpackEncoder.WriteStatus(99, new byte[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => HpackEncoder.WriteStatus(1000, new byte[5]));
        Assert.Throws<ArgumentException>(() => HpackEncoder.WriteStatus(201, new byte[4]));
        Assert.Throws<ArgumentException>(() => HpackEncoder.WriteStatus(200, []));
    }

    [Fact]
    public void StaticNameIsWrittenAsItsIndexWhateverItsCase()
    {
        var buffer = new byte[64];

        Assert.True(HpackEncoder.TryWriteHeader("Content-Type", "text/html", buffer, out var written));

        // Literal without indexing, name index 31 (4-bit prefix: 15 + 16), value length 9, raw.
        Assert.Equal([0x0f, 0x10, 0x09, .. "text/html"u8.ToArray()], buffer[..written]);
        Assert.Equal([("content-type", "text/html")], DecodeAll(buffer[..written]));

        Assert.True(HpackEncoder.TryWriteHeader("AGE", "10", buffer, out written));
        Assert.Equal([0x0f, 0x06, 0x02, (byte)'1', (byte)'0'], buffer[..written]);

        Assert.True(HpackEncoder.TryWriteHeader("date", "x", buffer, out written));
        Assert.Equal([0x0f, 0x12, 0x01, (byte)'x'], buffer[..written]);
    }

    [Fact]
    public void CustomNameIsWrittenLowercase()
    {
        var buffer = new byte[64];

        Assert.True(HpackEncoder.TryWriteHeader("X-Request-ID", "AbC-123", buffer, out var written));

        Assert.Equal([0x00, 0x0c, .. "x-request-id"u8.ToArray(), 0x07, .. "AbC-123"u8.ToArray()], buffer[..written]);
        Assert.Equal([("x-request-id", "AbC-123")], DecodeAll(buffer[..written]));
    }

    [Fact]
    public void ANonAsciiNameIsLowercasedOnlyInItsAsciiLetters()
    {
        var buffer = new byte[64];

        Assert.True(HpackEncoder.TryWriteHeader("X-Caf\u00C9-ID", "v", buffer, out var written));

        Assert.Equal([0x00, 0x09, .. "x-caf"u8.ToArray(), 0xC9, .. "-id"u8.ToArray(), 0x01, (byte)'v'], buffer[..written]);
    }

    [Theory]
    [InlineData("caf\u00e9", "636166e9")]               // Latin-1: one octet
    [InlineData("\u20ac5", "e282ac35")]                 // above U+00FF: UTF-8
    [InlineData("\u00e9\u20ac", "e9e282ac")]            // both in one value
    [InlineData("\u0100", "c480")]                      // two-octet UTF-8
    [InlineData("a\U0001F600b", "61f09f988062")]        // surrogate pair: one 4-octet sequence
    public void ValueOctetsAreLatin1ElseUtf8(string value, string hex)
    {
        var expected = Hex.Bytes(hex);
        var buffer = new byte[64];

        Assert.True(HpackEncoder.TryWriteHeader("x", value, buffer, out var written));

        Assert.Equal([0x00, 0x01, (byte)'x', (byte)expected.Length, .. expected], buffer[..written]);
        Assert.True(written <= HpackEncoder.GetMaxEncodedLength("x", value));
    }

    [Fact]
    public void ALoneSurrogateIsWrittenAsTheReplacementChar()
    {
        // Built at run time: a lone surrogate does not survive an attribute argument.
        var value = "a" + (char)0xD800 + "b" + (char)0xDC00;
        var buffer = new byte[64];

        Assert.True(HpackEncoder.TryWriteHeader("x", value, buffer, out var written));

        Assert.Equal(Hex.Bytes("00 01 78 08 61 efbfbd 62 efbfbd"), buffer[..written]);
        Assert.True(written <= HpackEncoder.GetMaxEncodedLength("x", value));
    }

    [Fact]
    public void TooSmallADestinationWritesNothing()
    {
        foreach (var (name, value) in new[] { ("Content-Type", "text/html"), ("X-Custom", "value"), ("x", new string('v', 300)) })
        {
            var exact = new byte[256 + 300];
            Assert.True(HpackEncoder.TryWriteHeader(name, value, exact, out var needed));

            for (var size = 0; size < needed; size++)
            {
                var buffer = new byte[size];
                Assert.False(HpackEncoder.TryWriteHeader(name, value, buffer, out var written));
                Assert.Equal(0, written);
                Assert.All(buffer, octet => Assert.Equal(0, octet));
            }

            var fits = new byte[needed];
            Assert.True(HpackEncoder.TryWriteHeader(name, value, fits, out var writtenWhenExact));
            Assert.Equal(needed, writtenWhenExact);
            Assert.Equal(exact[..needed], fits);
        }
    }

    [Fact]
    public void MaxEncodedLengthIsNeverExceeded()
    {
        string[] names = ["Content-Type", "x", "X-Some-Long-Custom-Header-Name", "", "www-authenticate", "X-\u20ac", new string('N', 200)];
        string[] values =
        [
            "", "v", "text/html; charset=utf-8", new string('a', 126), new string('a', 127), new string('a', 128),
            new string('b', 20_000), new string('\u00e9', 5000), new string('\u20ac', 5000), "mixed \u00e9 \u20ac \U0001F600",
            string.Concat(Enumerable.Repeat("\U0001F600", 3000)),
        ];

        foreach (var name in names)
        {
            foreach (var value in values)
            {
                var bound = HpackEncoder.GetMaxEncodedLength(name, value);
                var buffer = new byte[bound];
                Assert.True(HpackEncoder.TryWriteHeader(name, value, buffer, out var written), $"{name}: {value.Length} chars");
                Assert.True(written <= bound);

                var decoded = DecodeAll(buffer[..written]);
                Assert.Single(decoded);
            }
        }
    }

    [Fact]
    public void ALongValueHasAMultiOctetLengthAndDecodesBack()
    {
        var value = new string('z', 20_000);
        var buffer = new byte[HpackEncoder.GetMaxEncodedLength("X-Big", value)];

        Assert.True(HpackEncoder.TryWriteHeader("X-Big", value, buffer, out var written));

        Assert.Equal(1 + 1 + 5 + 4 + 20_000, written); // 20,000 = 127 + 19,873: the prefix and three continuation octets
        Assert.Equal([("x-big", value)], DecodeAll(buffer[..written]));
    }

    private static List<(string Name, string Value)> DecodeAll(byte[] block)
    {
        var sink = new RecordingSink();
        Assert.True(new HpackDecoder().Decode(block, sink));
        return sink.Fields;
    }
}
