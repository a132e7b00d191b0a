using System.Text;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

public sealed class HuffmanTests
{
    private const int SymbolCount = 257;

    // Every Huffman-coded string of RFC 7541 C.4 and C.6.
    public static TheoryData<string, string> RfcStrings => new()
    {
        { "www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff" },
        { "no-cache", "a8eb 1064 9cbf" },
        { "custom-key", "25a8 49e9 5ba9 7d7f" },
        { "custom-value", "25a8 49e9 5bb8 e8b4 bf" },
        { "302", "6402" },
        { "307", "640e ff" },
        { "private", "aec3 771a 4b" },
        { "Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff" },
        { "Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff" },
        { "https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3" },
        { "gzip", "9bd9 ab" },
        {
            "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"
        },
    };

    [Theory]
    [MemberData(nameof(RfcStrings))]
    public void RfcStringsEncodeToTheRfcOctets(string text, string hex)
    {
        var source = Encoding.ASCII.GetBytes(text);
        var expected = Hex.Bytes(hex);
        var destination = new byte[expected.Length];

        Assert.Equal(expected.Length, Huffman.GetEncodedLength(source));
        Assert.Equal(expected.Length, Huffman.Encode(source, destination));
        Assert.Equal(expected, destination);
    }

    [Theory]
    [MemberData(nameof(RfcStrings))]
    public void RfcOctetsDecodeToTheRfcStrings(string text, string hex) =>
        Assert.Equal(text, DecodeToString(Hex.Bytes(hex)));

    [Fact]
    public void CodeLengthsSatisfyKraftEquality()
    {
        // Sum of 2^-length over all symbols, scaled by 2^30 (the longest code), must be exactly 1.
        long sum = 0;
        for (var symbol = 0; symbol < SymbolCount; symbol++)
        {
            Huffman.GetCode(symbol, out var length);
            Assert.InRange(length, 5, 30);
            sum += 1L << (30 - length);
        }

        Assert.Equal(1L << 30, sum);
    }

    [Fact]
    public void CodesAreCanonical()
    {
        // Ordered by (length, symbol), each code is the previous one plus one, shifted left to the new length.
        var ordered = Enumerable.Range(0, SymbolCount)
            .Select(symbol => (Symbol: symbol, Code: Huffman.GetCode(symbol, out var length), Length: length))
            .OrderBy(entry => entry.Length).ThenBy(entry => entry.Symbol)
            .ToArray();

        ulong expected = 0;
        var previousLength = ordered[0].Length;
        foreach (var (symbol, code, length) in ordered)
        {
            expected <<= length - previousLength;
            previousLength = length;
            Assert.True(expected == code, $"symbol {symbol}: code {code:x}, canonical {expected:x}");
            expected++;
        }

        Assert.Equal(1UL << 30, expected);
    }

    [Fact]
    public void EosIsThirtyOnes()
    {
        Assert.Equal(0x3fffffffu, Huffman.GetCode(256, out var length));
        Assert.Equal(30, length);
    }

    [Fact]
    public void AllByteValuesRoundTrip()
    {
        var all = Enumerable.Range(0, 256).Select(value => (byte)value).ToArray();
        Assert.Equal(all, RoundTrip(all));
        Assert.Equal(all.Reverse().ToArray(), RoundTrip(all.Reverse().ToArray()));

        for (var value = 0; value < 256; value++)
        {
            byte[] single = [(byte)value];
            Assert.Equal(single, RoundTrip(single));
            Huffman.GetCode(value, out var length);
            Assert.Equal((length + 7) / 8, Huffman.GetEncodedLength(single));
        }
    }

    [Fact]
    public void RandomStringsRoundTrip()
    {
        var random = new Random(7541);
        for (var i = 0; i < 2000; i++)
        {
            var source = new byte[random.Next(0, 200)];
            if (i % 2 == 0)
            {
                random.NextBytes(source);
            }
            else
            {
                // Header-like text exercises the short codes and the fast table.
                for (var j = 0; j < source.Length; j++)
                {
                    source[j] = (byte)random.Next(0x20, 0x7F);
                }
            }

            Assert.Equal(source, RoundTrip(source));
        }
    }

    [Fact]
    public void EncodedLengthCountsBitsAndRoundsUp()
    {
        Assert.Equal(0, Huffman.GetEncodedLength([]));
        Assert.Equal(1, Huffman.GetEncodedLength("a"u8));        // 5 bits
        Assert.Equal(5, Huffman.GetEncodedLength("aaaaaaaa"u8)); // 40 bits exactly
        Assert.Equal(6, Huffman.GetEncodedLength("aaaaaaaaa"u8)); // 45 bits
        Assert.Equal(4, Huffman.GetEncodedLength([0x0A]));       // 30 bits
        Assert.Equal(0, Huffman.Encode([], []));
    }

    [Fact]
    public void ShortPaddingOfOnesIsAccepted()
    {
        Assert.Equal("a", DecodeToString([0b0001_1111]));         // 3 bits of padding
        Assert.Equal("aa", DecodeToString([0b0001_1000, 0b1111_1111])); // 6 bits
        Assert.Equal("0", DecodeToString([0b0000_0111]));
        Assert.Equal("", DecodeToString([]));
    }

    [Fact]
    public void ZeroBitsAfterTheLastSymbolAreRejected()
    {
        // "aaaaaaaa" ends exactly on an octet boundary; a zero octet after it is '0' plus three zero bits.
        var encoded = Encode("aaaaaaaa"u8);
        Assert.Equal(5, encoded.Length);
        var error = Assert.Throws<HpackDecodingException>(() => DecodeToString([.. encoded, 0x00]));
        Assert.Contains("neither a whole code nor padding", error.Message);

        // 'a' is 00011: padding of zeros instead of ones.
        Assert.Throws<HpackDecodingException>(() => DecodeToString([0b0001_1000]));
    }

    [Fact]
    public void PaddingOfEightOrMoreBitsIsRejected()
    {
        var encoded = Encode("aaaaaaaa"u8);
        var error = Assert.Throws<HpackDecodingException>(() => DecodeToString([.. encoded, 0xFF]));
        Assert.Contains("8 bits of padding", error.Message);

        Assert.Throws<HpackDecodingException>(() => DecodeToString([0xFF]));
        Assert.Throws<HpackDecodingException>(() => DecodeToString([0xFF, 0xFF]));
        Assert.Throws<HpackDecodingException>(() => DecodeToString([0xFF, 0xFF, 0xFF]));
        Assert.Throws<HpackDecodingException>(() => DecodeToString([0b0001_1111, 0xFF])); // 'a' then 11 ones
    }

    [Fact]
    public void EosInsideTheStringIsRejected()
    {
        // 'a', EOS (30 ones), 'a', padding.
        var error = Assert.Throws<HpackDecodingException>(() => DecodeToString([0b0001_1111, 0xFF, 0xFF, 0xFF, 0b1110_0011]));
        Assert.Contains("EOS", error.Message);

        Assert.Throws<HpackDecodingException>(() => DecodeToString([0xFF, 0xFF, 0xFF, 0xFF]));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(40)]
    [InlineData(400)]
    public void ErrorsAfterALongStringAreFoundToo(int symbols)
    {
        // Long strings are read 8 octets at a time until the last few; the checks must hold on both paths.
        // 8 symbols of 5 bits end on an octet boundary.
        var aligned = Encode(Encoding.ASCII.GetBytes(new string('a', symbols)));
        byte[] eos = [0xFF, 0xFF, 0xFF, 0xFC];

        Assert.Equal(new string('a', symbols), DecodeToString(aligned));
        Assert.Throws<HpackDecodingException>(() => DecodeToString([.. aligned, 0x00]));
        Assert.Throws<HpackDecodingException>(() => DecodeToString([.. aligned, 0xFF]));
        Assert.Contains("EOS", Assert.Throws<HpackDecodingException>(() => DecodeToString([.. aligned, .. eos])).Message);
        Assert.Contains("EOS", Assert.Throws<HpackDecodingException>(() => DecodeToString([.. aligned, .. eos, .. aligned])).Message);
        Assert.Contains("EOS", Assert.Throws<HpackDecodingException>(() => DecodeToString([.. eos, .. aligned])).Message);
    }

    [Fact]
    public void TooSmallADestinationIsACallerError()
    {
        var encoded = Encode("www.example.com"u8);
        Assert.Throws<ArgumentException>(() => Huffman.Decode(encoded, new byte[14]));
        Assert.Throws<ArgumentException>(() => Huffman.Encode("www.example.com"u8, new byte[encoded.Length - 1]));
    }

    [Fact]
    public void MaxDecodedLengthHoldsTheDensestString()
    {
        // '0' has the shortest code (5 bits): the densest possible encoding.
        var zeros = Enumerable.Repeat((byte)'0', 1000).ToArray();
        var encoded = Encode(zeros);
        Assert.True(Huffman.GetMaxDecodedLength(encoded.Length) >= zeros.Length);
        Assert.Equal(zeros.Length, Huffman.Decode(encoded, new byte[Huffman.GetMaxDecodedLength(encoded.Length)]));
    }

    private static byte[] Encode(ReadOnlySpan<byte> source)
    {
        var destination = new byte[Huffman.GetEncodedLength(source)];
        Assert.Equal(destination.Length, Huffman.Encode(source, destination));
        return destination;
    }

    private static byte[] RoundTrip(byte[] source)
    {
        var encoded = Encode(source);
        var decoded = new byte[Huffman.GetMaxDecodedLength(encoded.Length)];
        return decoded[..Huffman.Decode(encoded, decoded)];
    }

    private static string DecodeToString(byte[] encoded)
    {
        var decoded = new byte[Huffman.GetMaxDecodedLength(encoded.Length)];
        return Encoding.Latin1.GetString(decoded, 0, Huffman.Decode(encoded, decoded));
    }
}
