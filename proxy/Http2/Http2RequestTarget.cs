using System.Buffers;
using System.Text;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// Turns an HTTP/2 :path into the HttpRequest.Path and QueryString that Kestrel's HTTP/1.1 parser
/// produces for the same request-target, so routing sees one path whichever protocol the client used.
/// The rules were measured against a real Kestrel (Http2RequestTargetKestrelTests), not assumed:
/// <list type="bullet">
/// <item>the query (from the first '?', '?' included) is kept raw;</item>
/// <item>%XX is decoded in the path, except %2F which stays as written, so an encoded slash never becomes
/// a segment separator; %00 is a bad request; '%' not followed by two hex digits stays literal;</item>
/// <item>escapes above 0x7F are decoded only when they form well-formed UTF-8 (no overlongs, surrogates
/// or code points past U+10FFFF); the lead escape of any other sequence stays as written;</item>
/// <item>then dot segments are removed (RFC 3986 5.2.4), after decoding, so %2e%2e counts as "..";
/// "//" is kept.</item>
/// </list>
/// Beyond Kestrel, bytes outside <see cref="Http2FieldValidation.IsValidPath"/> are refused, because
/// the target is also copied into the backend's request line.
/// </summary>
internal static class Http2RequestTarget
{
    // Targets up to this size are decoded on the stack; longer ones (rare) borrow a pooled array.
    private const int StackBufferSize = 512;

    // The bytes that end the fast scan: what follows a '%' or '?' needs more than copying.
    private static readonly SearchValues<byte> s_plainPathBytes = SearchValues.Create(PlainPathBytes());

    public static bool TryParse(ReadOnlySpan<byte> pathAndQuery, out string path, out string queryString)
    {
        path = string.Empty;
        queryString = string.Empty;
        if (pathAndQuery.IsEmpty || pathAndQuery[0] != (byte)'/')
        {
            return false;
        }

        // One scan covers the common target; only from the first '%' or '?' on is the rest scanned
        // again, once, for bytes that may not appear anywhere.
        var pathEnd = pathAndQuery.Length;
        var hasEscape = false;
        var stop = pathAndQuery.IndexOfAnyExcept(s_plainPathBytes);
        if (stop >= 0)
        {
            var rest = pathAndQuery[stop..];
            if (rest.ContainsAnyExcept(Http2FieldValidation.TargetByteValues))
            {
                return false;
            }

            if (rest[0] == (byte)'%')
            {
                hasEscape = true;
                var question = rest.IndexOf((byte)'?');
                if (question >= 0)
                {
                    pathEnd = stop + question;
                }
            }
            else
            {
                pathEnd = stop;
            }
        }

        var rawPath = pathAndQuery[..pathEnd];
        if (hasEscape || ContainsDotSegment(rawPath))
        {
            if (!TryNormalize(rawPath, hasEscape, out path))
            {
                return false;
            }
        }
        else
        {
            path = rawPath.Length == 1 ? "/" : Encoding.Latin1.GetString(rawPath);
        }

        var query = pathAndQuery[pathEnd..];
        queryString = query.Length switch
        {
            0 => string.Empty,
            1 => "?",
            _ => Encoding.Latin1.GetString(query),
        };
        return true;
    }

    private static bool TryNormalize(ReadOnlySpan<byte> rawPath, bool hasEscape, out string path)
    {
        byte[]? rented = null;
        var buffer = rawPath.Length <= StackBufferSize
            ? stackalloc byte[StackBufferSize]
            : (rented = ArrayPool<byte>.Shared.Rent(rawPath.Length));
        try
        {
            int length;
            if (hasEscape)
            {
                length = PercentDecode(rawPath, buffer);
                if (length < 0)
                {
                    path = string.Empty;
                    return false;
                }
            }
            else
            {
                rawPath.CopyTo(buffer);
                length = rawPath.Length;
            }

            length = RemoveDotSegments(buffer[..length]);

            // Valid UTF-8 by construction: the input is ASCII and only well-formed sequences were decoded.
            path = Encoding.UTF8.GetString(buffer[..length]);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether a "/." or "/.." segment is present; "/.well-known" and "/a..b" are not dot segments.</summary>
    private static bool ContainsDotSegment(ReadOnlySpan<byte> path)
    {
        while (true)
        {
            var at = path.IndexOf("/."u8);
            if (at < 0)
            {
                return false;
            }

            var after = path[(at + 2)..];
            if (after.IsEmpty || after[0] == (byte)'/'
                || (after[0] == (byte)'.' && (after.Length == 1 || after[1] == (byte)'/')))
            {
                return true;
            }

            path = after;
        }
    }

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/> (never longer); -1 for %00.</summary>
    private static int PercentDecode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var written = 0;
        while (true)
        {
            var percent = source.IndexOf((byte)'%');
            var plain = percent < 0 ? source : source[..percent];
            plain.CopyTo(destination[written..]);
            written += plain.Length;
            if (percent < 0)
            {
                return written;
            }

            source = source[percent..];
            var value = HexByte(source);
            if (value < 0)
            {
                // Not an escape: the '%' is an ordinary character and the scan resumes right after it.
                destination[written++] = (byte)'%';
                source = source[1..];
                continue;
            }

            if (value == 0)
            {
                // A NUL would end the path early for some backends and file systems.
                return -1;
            }

            var escapes = value switch
            {
                // Kept encoded so a decoded slash can never split or join segments.
                '/' => 0,
                < 0x80 => 1,
                _ => Utf8EscapeCount(source, value),
            };

            if (escapes == 0)
            {
                // %2F, or the lead of a sequence that is not UTF-8: kept as written, in its own case.
                source[..3].CopyTo(destination[written..]);
                written += 3;
                source = source[3..];
                continue;
            }

            for (var i = 0; i < escapes; i++)
            {
                destination[written++] = (byte)HexByte(source[(i * 3)..]);
            }

            source = source[(escapes * 3)..];
        }
    }

    /// <summary>
    /// How many consecutive escapes, starting with <paramref name="lead"/>, form one well-formed UTF-8
    /// character (Unicode table 3-7), or 0 when they do not.
    /// </summary>
    private static int Utf8EscapeCount(ReadOnlySpan<byte> escapes, int lead)
    {
        // The allowed range of the second byte narrows for some leads: that is what rules out
        // overlongs (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
        var (count, secondMin, secondMax) = lead switch
        {
            >= 0xC2 and <= 0xDF => (2, 0x80, 0xBF),
            0xE0 => (3, 0xA0, 0xBF),
            0xED => (3, 0x80, 0x9F),
            >= 0xE1 and <= 0xEF => (3, 0x80, 0xBF),
            0xF0 => (4, 0x90, 0xBF),
            >= 0xF1 and <= 0xF3 => (4, 0x80, 0xBF),
            0xF4 => (4, 0x80, 0x8F),
            _ => (0, 0, 0),
        };

        for (var i = 1; i < count; i++)
        {
            var next = escapes.Length >= (i * 3) + 3 ? HexByte(escapes[(i * 3)..]) : -1;
            var (min, max) = i == 1 ? (secondMin, secondMax) : (0x80, 0xBF);
            if (next < min || next > max)
            {
                return 0;
            }
        }

        return count;
    }

    /// <summary>The byte a "%XX" at the start of <paramref name="text"/> stands for, or -1.</summary>
    private static int HexByte(ReadOnlySpan<byte> text)
    {
        if (text.Length < 3 || text[0] != (byte)'%')
        {
            return -1;
        }

        var high = HexValue(text[1]);
        var low = HexValue(text[2]);
        return (high | low) < 0 ? -1 : (high << 4) | low;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// RFC 3986 5.2.4 on an absolute path, in place; returns the new length. Only '/' separates segments
    /// (a kept "%2F" is part of a segment name), empty segments stay, and ".." never climbs above "/".
    /// </summary>
    private static int RemoveDotSegments(Span<byte> path)
    {
        var read = 0;
        var written = 0;
        while (read < path.Length)
        {
            // read is always at a '/': the path starts with one and every step stops at the next.
            var segmentEnd = path[(read + 1)..].IndexOf((byte)'/');
            segmentEnd = segmentEnd < 0 ? path.Length : read + 1 + segmentEnd;
            var segment = path[(read + 1)..segmentEnd];
            var last = segmentEnd == path.Length;

            if (segment.Length == 1 && segment[0] == (byte)'.')
            {
                // "/./x" is "/x"; a final "/." leaves its slash: "/a/." is "/a/".
                if (last)
                {
                    path[written++] = (byte)'/';
                }
            }
            else if (segment.Length == 2 && segment[0] == (byte)'.' && segment[1] == (byte)'.')
            {
                // Drop the last output segment with its slash; at the root there is none to drop.
                written = Math.Max(0, path[..written].LastIndexOf((byte)'/'));
                if (last)
                {
                    path[written++] = (byte)'/';
                }
            }
            else
            {
                // Overlapping copy towards the start: Span.CopyTo handles the overlap.
                path[read..segmentEnd].CopyTo(path[written..]);
                written += segmentEnd - read;
            }

            read = segmentEnd;
        }

        return written;
    }

    private static byte[] PlainPathBytes()
    {
        var bytes = new List<byte>();
        for (var b = 0x21; b <= 0x7E; b++)
        {
            if (b is not '#' and not '%' and not '?')
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }
}
