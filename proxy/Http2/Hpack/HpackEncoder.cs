using System.Text;

namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>
/// Writes response header fields. The dynamic table is never used (no state per connection, nothing for a client
/// to desynchronise) and values are never Huffman-coded: on the per-response path CPU matters more than octets.
/// </summary>
internal static class HpackEncoder
{
    private const byte IndexedField = 0x80;
    private const byte LiteralWithoutIndexing = 0x00;
    private const int LiteralNamePrefixBits = 4;
    private const int StringLengthPrefixBits = 7;
    private const int StatusNameIndex = 8;
    private const int StatusLiteralLength = 5;

    // A UTF-16 char becomes at most 3 UTF-8 octets (a surrogate pair: 4 octets for 2 chars).
    private const int MaxOctetsPerChar = 3;

    /// <summary>
    /// Writes ":status": fully indexed for 200, 204, 206, 304, 400, 404 and 500, else a literal without indexing
    /// with the name as index 8. Returns the octets written (at most 5).
    /// </summary>
    public static int WriteStatus(int statusCode, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 999);

        var index = HpackStaticTable.FindStatus(statusCode);
        var required = index != 0 ? 1 : StatusLiteralLength;
        if (destination.Length < required)
        {
            throw new ArgumentException($"HPACK: :status {statusCode} needs {required} bytes.", nameof(destination));
        }

        if (index != 0)
        {
            destination[0] = (byte)(IndexedField | index);
            return 1;
        }

        destination[4] = (byte)('0' + (statusCode % 10));
        destination[3] = (byte)('0' + (statusCode / 10 % 10));
        destination[2] = (byte)('0' + (statusCode / 100));
        destination[1] = 3;
        destination[0] = LiteralWithoutIndexing | StatusNameIndex;
        return StatusLiteralLength;
    }

    /// <summary>
    /// Writes a literal header field without indexing (RFC 7541 section 6.2.2). The name is a static table index
    /// when the table has it (compared case-insensitively), else written lowercased, as HTTP/2 requires. Chars up
    /// to U+00FF are one octet each (Latin-1, as the HTTP/1.1 parser decoded them); chars above are UTF-8.
    /// Returns false, with nothing written, when <paramref name="destination"/> is too small.
    /// </summary>
    public static bool TryWriteHeader(string name, string value, Span<byte> destination, out int written)
    {
        var nameIndex = HpackStaticTable.FindName(name);
        var nameLength = nameIndex == 0 ? GetOctetLength(name) : 0;
        var valueLength = GetOctetLength(value);

        long required = HpackInteger.GetEncodedLength(valueLength, StringLengthPrefixBits) + (long)valueLength;
        required += nameIndex != 0
            ? HpackInteger.GetEncodedLength(nameIndex, LiteralNamePrefixBits)
            : 1 + HpackInteger.GetEncodedLength(nameLength, StringLengthPrefixBits) + (long)nameLength;
        if (required > destination.Length)
        {
            written = 0;
            return false;
        }

        int position;
        if (nameIndex != 0)
        {
            position = HpackInteger.Encode(nameIndex, LiteralNamePrefixBits, LiteralWithoutIndexing, destination);
        }
        else
        {
            destination[0] = LiteralWithoutIndexing;
            position = 1;
            position += HpackInteger.Encode(nameLength, StringLengthPrefixBits, 0, destination[position..]);
            position += WriteOctets(name, destination[position..], lowercase: true);
        }

        position += HpackInteger.Encode(valueLength, StringLengthPrefixBits, 0, destination[position..]);
        position += WriteOctets(value, destination[position..], lowercase: false);
        written = position;
        return true;
    }

    /// <summary>An upper bound of what <see cref="TryWriteHeader"/> writes for this field, for sizing buffers.</summary>
    public static int GetMaxEncodedLength(string name, string value)
    {
        var nameBound = GetOctetLengthBound(name);
        var valueBound = GetOctetLengthBound(value);

        // A literal name is never shorter than a static index (at most 2 octets), so the bound assumes a literal.
        return checked(1
            + HpackInteger.GetEncodedLength(nameBound, StringLengthPrefixBits) + nameBound
            + HpackInteger.GetEncodedLength(valueBound, StringLengthPrefixBits) + valueBound);
    }

    private static int GetOctetLengthBound(string text) =>
        Ascii.IsValid(text) ? text.Length : checked(text.Length * MaxOctetsPerChar);

    private static int GetOctetLength(ReadOnlySpan<char> text)
    {
        // Vectorised check for the usual all-ASCII field. (A "Latin-1 only" check with ContainsAnyExceptInRange
        // allocated 96 bytes a call in the allocation test, so non-ASCII text takes the loop instead.)
        if (Ascii.IsValid(text))
        {
            return text.Length;
        }

        long length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c <= '\u00FF')
            {
                length += 1;
            }
            else if (TryReadSurrogatePair(text, i, out var rune))
            {
                length += rune.Utf8SequenceLength;
                i++;
            }
            else
            {
                // A lone surrogate is written as U+FFFD, like every other char of its range: 3 octets.
                length += (Rune.IsValid(c) ? new Rune(c) : Rune.ReplacementChar).Utf8SequenceLength;
            }
        }

        return checked((int)length);
    }

    private static int WriteOctets(ReadOnlySpan<char> text, Span<byte> destination, bool lowercase)
    {
        // The vectorised ASCII paths stop at the first non-ASCII char; up to there chars and octets are 1:1.
        int written;
        if (lowercase)
        {
            Ascii.ToLower(text, destination, out written);
        }
        else
        {
            Ascii.FromUtf16(text, destination, out written);
        }

        for (var i = written; i < text.Length; i++)
        {
            var c = text[i];
            if (c <= '\u00FF')
            {
                // Only ASCII letters are lowercased: HTTP field names are ASCII tokens, anything else passes as it is.
                destination[written++] = (byte)(lowercase && char.IsAsciiLetterUpper(c) ? c | 0x20 : c);
            }
            else if (TryReadSurrogatePair(text, i, out var rune))
            {
                written += rune.EncodeToUtf8(destination[written..]);
                i++;
            }
            else
            {
                written += (Rune.IsValid(c) ? new Rune(c) : Rune.ReplacementChar).EncodeToUtf8(destination[written..]);
            }
        }

        return written;
    }

    private static bool TryReadSurrogatePair(ReadOnlySpan<char> text, int index, out Rune rune)
    {
        rune = default;
        return index + 1 < text.Length && Rune.TryCreate(text[index], text[index + 1], out rune);
    }
}
