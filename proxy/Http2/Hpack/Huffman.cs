using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>
/// The canonical Huffman code of RFC 7541 Appendix B. Decoding reads a 64-bit window and resolves codes of
/// up to <see cref="FastLookupBits"/> bits (every letter, digit and common punctuation) with one table
/// lookup; the rare longer codes are resolved from the per-length limits of the canonical code.
/// </summary>
internal static class Huffman
{
    private const int SymbolCount = 257;
    private const int EndOfString = 256;
    private const int MaxCodeLength = 30;
    private const int MaxPaddingBits = 7;

    // 11 bits covers all codes up to 11 bits ('?', '!', '(', ')', '"', '\'', '+', '|' included) in a 4 KiB table.
    private const int FastLookupBits = 11;

    private static readonly ushort[] FastLookup = BuildFastLookup();
    private static readonly LongCodeTable LongCodes = BuildLongCodeTable();

    /// <summary>Code of each symbol (0..255, 256 = EOS), right-aligned; RFC 7541 Appendix B.</summary>
    private static ReadOnlySpan<uint> Codes =>
    [
        0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
        0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
        0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
        0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
        0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
        0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
        0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
        0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
        0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
        0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
        0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
        0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
        0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
        0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
        0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
        0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
        0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
        0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
        0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
        0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
        0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
        0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
        0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
        0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
        0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
        0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
        0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
        0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
        0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
        0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
        0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
        0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
        0x3fffffff,
    ];

    /// <summary>Code length in bits of each symbol; RFC 7541 Appendix B.</summary>
    private static ReadOnlySpan<byte> CodeLengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    /// <summary>The code of <paramref name="symbol"/> (256 = EOS), right-aligned in <paramref name="length"/> bits.</summary>
    public static uint GetCode(int symbol, out int length)
    {
        length = CodeLengths[symbol];
        return Codes[symbol];
    }

    /// <summary>The most octets <paramref name="encodedLength"/> Huffman-coded octets can decode to (5 bits is the shortest code).</summary>
    public static int GetMaxDecodedLength(int encodedLength) => (int)((long)encodedLength * 8 / 5);

    public static int GetEncodedLength(ReadOnlySpan<byte> source)
    {
        var lengths = CodeLengths;
        long bits = 0;
        foreach (var octet in source)
        {
            bits += lengths[octet];
        }

        return checked((int)((bits + 7) >> 3));
    }

    /// <summary>Encodes <paramref name="source"/>, padding the last octet with ones. Returns the octets written.</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var codes = Codes;
        var lengths = CodeLengths;

        // Right-aligned: the newest code in the low bits. Fewer than 8 bits are pending before each code is
        // added, so 8 + 30 bits never overflow; older, already written bits simply shift out of the top.
        ulong pending = 0;
        var pendingBits = 0;
        var written = 0;
        foreach (var octet in source)
        {
            pending = (pending << lengths[octet]) | codes[octet];
            pendingBits += lengths[octet];
            while (pendingBits >= 8)
            {
                pendingBits -= 8;
                if ((uint)written >= (uint)destination.Length)
                {
                    ThrowDestinationTooSmall(nameof(destination));
                }

                destination[written++] = (byte)(pending >> pendingBits);
            }
        }

        if (pendingBits > 0)
        {
            if ((uint)written >= (uint)destination.Length)
            {
                ThrowDestinationTooSmall(nameof(destination));
            }

            // The padding is the most significant bits of EOS, i.e. ones.
            destination[written++] = (byte)((pending << (8 - pendingBits)) | (0xFFu >> pendingBits));
        }

        return written;
    }

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/>, which must hold
    /// <see cref="GetMaxDecodedLength"/> octets (or at least the decoded length). Returns the octets written.
    /// </summary>
    /// <exception cref="HpackDecodingException">EOS inside the string, or padding that is longer than 7 bits or not all ones.</exception>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var fastLookup = FastLookup;

        // Left-aligned: the next bit of the string is bit 63. Below the window's bits lie either zeros or the
        // string's own following bits (an 8-octet refill loads more than it counts); refilling ORs those same
        // bits in again, so both are harmless, and past the end of the source only zeros are ever shifted in.
        ulong window = 0;
        var windowBits = 0;
        var read = 0;
        var written = 0;
        while (true)
        {
            if (windowBits < MaxCodeLength)
            {
                if (source.Length - read >= sizeof(ulong))
                {
                    var octets = (63 - windowBits) >> 3;
                    window |= BinaryPrimitives.ReadUInt64BigEndian(source[read..]) >> windowBits;
                    read += octets;
                    windowBits += octets * 8;
                }
                else
                {
                    while (windowBits <= 56 && read < source.Length)
                    {
                        window |= (ulong)source[read++] << (56 - windowBits);
                        windowBits += 8;
                    }

                    if (windowBits == 0)
                    {
                        return written;
                    }
                }
            }

            int symbol;
            int length;
            var entry = fastLookup[(int)(window >> (64 - FastLookupBits))];
            if (entry != 0)
            {
                symbol = entry >> 4;
                length = entry & 0xF;
            }
            else
            {
                symbol = DecodeLongCode(window, out length);
            }

            if (length > windowBits)
            {
                // The window is only short of a whole code once the source is used up: what is left is padding.
                CheckPadding(window, windowBits);
                return written;
            }

            if (symbol == EndOfString)
            {
                throw new HpackDecodingException("HPACK: Huffman-coded string contains the EOS symbol.");
            }

            if ((uint)written >= (uint)destination.Length)
            {
                ThrowDestinationTooSmall(nameof(destination));
            }

            destination[written++] = (byte)symbol;
            window <<= length;
            windowBits -= length;
        }
    }

    private static int DecodeLongCode(ulong window, out int length)
    {
        var table = LongCodes;
        var leftAligned = window >> 32;
        for (length = FastLookupBits + 1; length <= MaxCodeLength; length++)
        {
            if (leftAligned < table.LimitByLength[length])
            {
                var code = (uint)(leftAligned >> (32 - length));
                return table.SymbolsByCode[table.FirstSymbolByLength[length] + (int)(code - table.FirstCodeByLength[length])];
            }
        }

        // Unreachable for a complete code (Kraft equality), kept so that a table typo cannot loop or misread.
        throw new InvalidOperationException("HPACK: the Huffman table is not complete.");
    }

    private static void CheckPadding(ulong window, int windowBits)
    {
        var allOnes = windowBits == 0 || (window >> (64 - windowBits)) == (1UL << windowBits) - 1;
        if (!allOnes)
        {
            throw new HpackDecodingException(
                $"HPACK: Huffman-coded string ends with {windowBits} bits that are neither a whole code nor padding of ones.");
        }

        if (windowBits > MaxPaddingBits)
        {
            throw new HpackDecodingException(
                $"HPACK: Huffman-coded string has {windowBits} bits of padding (at most {MaxPaddingBits} allowed).");
        }
    }

    [DoesNotReturn]
    private static void ThrowDestinationTooSmall(string parameterName) =>
        throw new ArgumentException("HPACK: the destination is too small for the Huffman-coded string.", parameterName);

    /// <summary>For every <see cref="FastLookupBits"/>-bit prefix: symbol &lt;&lt; 4 | code length of the code it starts with, or 0 when that code is longer.</summary>
    private static ushort[] BuildFastLookup()
    {
        var table = new ushort[1 << FastLookupBits];
        for (var symbol = 0; symbol < SymbolCount; symbol++)
        {
            int length = CodeLengths[symbol];
            if (length > FastLookupBits)
            {
                continue;
            }

            var first = (int)Codes[symbol] << (FastLookupBits - length);
            var count = 1 << (FastLookupBits - length);
            table.AsSpan(first, count).Fill((ushort)((symbol << 4) | length));
        }

        return table;
    }

    private static LongCodeTable BuildLongCodeTable()
    {
        var countByLength = new int[MaxCodeLength + 1];
        foreach (var length in CodeLengths)
        {
            countByLength[length]++;
        }

        // Canonical order: by length, then by symbol; the codes of one length are consecutive.
        var symbolsByCode = new ushort[SymbolCount];
        var firstSymbolByLength = new int[MaxCodeLength + 1];
        var next = 0;
        for (var length = 1; length <= MaxCodeLength; length++)
        {
            firstSymbolByLength[length] = next;
            for (var symbol = 0; symbol < SymbolCount; symbol++)
            {
                if (CodeLengths[symbol] == length)
                {
                    symbolsByCode[next++] = (ushort)symbol;
                }
            }
        }

        var firstCodeByLength = new uint[MaxCodeLength + 1];
        var limitByLength = new ulong[MaxCodeLength + 1];
        uint code = 0;
        for (var length = 1; length <= MaxCodeLength; length++)
        {
            firstCodeByLength[length] = code;
            code += (uint)countByLength[length];

            // Left-aligned to 32 bits: every code of this length or shorter is below the limit.
            limitByLength[length] = (ulong)code << (32 - length);
            code <<= 1;
        }

        return new LongCodeTable(symbolsByCode, firstSymbolByLength, firstCodeByLength, limitByLength);
    }

    private sealed record LongCodeTable(ushort[] SymbolsByCode, int[] FirstSymbolByLength, uint[] FirstCodeByLength, ulong[] LimitByLength);
}
