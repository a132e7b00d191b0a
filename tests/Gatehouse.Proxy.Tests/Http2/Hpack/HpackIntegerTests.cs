using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HpackIntegerTests
{
    // RFC 7541 C.1.1, C.1.2, C.1.3.
    [Theory]
    [InlineData(10, 5, "0a")]
    [InlineData(1337, 5, "1f9a0a")]
    [InlineData(42, 8, "2a")]
    public void RfcExamplesEncodeAndDecode(int value, int prefixBits, string hex)
    {
        var expected = Hex.Bytes(hex);
        var buffer = new byte[HpackInteger.MaxEncodedLength];

        var written = HpackInteger.Encode(value, prefixBits, 0, buffer);

        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, HpackInteger.GetEncodedLength(value, prefixBits));
        Assert.Equal(value, HpackInteger.Decode(expected, prefixBits, out var consumed));
        Assert.Equal(expected.Length, consumed);
    }

    [Fact]
    public void FlagsAboveThePrefixAreKeptAndIgnoredOnDecode()
    {
        var buffer = new byte[HpackInteger.MaxEncodedLength];

        var written = HpackInteger.Encode(1337, 5, 0xE0, buffer);

        Assert.Equal(Hex.Bytes("ff9a0a"), buffer[..written]);
        Assert.Equal(1337, HpackInteger.Decode(buffer.AsSpan(0, written), 5, out _));
    }

    [Fact]
    public void BoundaryValuesRoundTripForEveryPrefix()
    {
        var buffer = new byte[HpackInteger.MaxEncodedLength + 1];
        for (var prefixBits = 1; prefixBits <= 8; prefixBits++)
        {
            var prefixMax = (1 << prefixBits) - 1;
            int[] values = [0, prefixMax - 1, prefixMax, prefixMax + 1, prefixMax + 127, prefixMax + 128, 1 << 20, int.MaxValue - 1, int.MaxValue];
            foreach (var value in values)
            {
                // A trailing byte must not be consumed.
                buffer.AsSpan().Fill(0xAA);
                var written = HpackInteger.Encode(value, prefixBits, 0, buffer);

                Assert.Equal(HpackInteger.GetEncodedLength(value, prefixBits), written);
                Assert.True(written <= HpackInteger.MaxEncodedLength);
                Assert.Equal(value, HpackInteger.Decode(buffer, prefixBits, out var consumed));
                Assert.Equal(written, consumed);
            }
        }
    }

    [Fact]
    public void IntMaxValueIsTheLargestAccepted()
    {
        // 5-bit prefix: 31 + 2147483616 = int.MaxValue; one more overflows.
        Assert.Equal(int.MaxValue, HpackInteger.Decode(Hex.Bytes("1f e0 ff ff ff 07"), 5, out var consumed));
        Assert.Equal(6, consumed);

        var error = Assert.Throws<HpackDecodingException>(() => HpackInteger.Decode(Hex.Bytes("1f e1 ff ff ff 07"), 5, out _));
        Assert.Contains("larger than 2147483647", error.Message);
    }

    [Theory]
    [InlineData("1f ff ff ff ff ff 0f")]
    [InlineData("1f ff ff ff ff 7f")]
    [InlineData("ff ff ff ff ff ff ff ff ff ff 01")]
    public void OverflowIsRejected(string hex) =>
        Assert.Throws<HpackDecodingException>(() => HpackInteger.Decode(Hex.Bytes(hex), 5, out _));

    [Fact]
    public void ZeroPaddedContinuationsBeyondFiveAreRejected()
    {
        // Value 31 spelled with six continuation octets: no overflow, but longer than any int needs.
        var error = Assert.Throws<HpackDecodingException>(() => HpackInteger.Decode(Hex.Bytes("1f 80 80 80 80 80 00"), 5, out _));
        Assert.Contains("longer than 6 bytes", error.Message);

        // Within five continuation octets a redundant zero group is still a valid encoding.
        Assert.Equal(31, HpackInteger.Decode(Hex.Bytes("1f 80 00"), 5, out var consumed));
        Assert.Equal(3, consumed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1f")]
    [InlineData("1f 80")]
    [InlineData("1f ff ff")]
    public void TruncatedIntegerIsRejected(string hex)
    {
        var error = Assert.Throws<HpackDecodingException>(() => HpackInteger.Decode(Hex.Bytes(hex), 5, out _));
        Assert.Contains("ends inside an integer", error.Message);
    }

    [Fact]
    public void EncodingIntoTooSmallADestinationThrows() =>
        Assert.Throws<ArgumentException>(() => HpackInteger.Encode(1337, 5, 0, new byte[2]));
}
