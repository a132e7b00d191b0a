using System.Buffers.Text;
using System.Text;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Strict parsing of a backend's response head (RFC 9112). Anything a lenient peer could read
/// differently from us (bare LF, obs-fold, whitespace before the colon, conflicting or repeated
/// framing headers) is rejected, so a response can never be split or merged with the next one.
/// </summary>
internal static class Http1ResponseParser
{
    public const int MaxHeaderBytes = 64 * 1024;
    public const int MaxHeaders = 100;

    /// <summary>
    /// Parses the head at the start of <paramref name="data"/>. False when more bytes are needed;
    /// throws <see cref="InvalidResponseException"/> for anything malformed.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out Http1ResponseHead head, out int consumed)
    {
        head = new Http1ResponseHead { ContentLength = -1 };
        consumed = 0;
        var position = 0;
        var lines = 0;
        var sawTransferEncoding = false;
        while (true)
        {
            var lf = data[position..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                if (data.Length > MaxHeaderBytes)
                {
                    throw new InvalidResponseException("response header section larger than 64 KiB");
                }

                return false;
            }

            lf += position;
            if (lf >= MaxHeaderBytes)
            {
                throw new InvalidResponseException("response header section larger than 64 KiB");
            }

            if (lf == position || data[lf - 1] != (byte)'\r')
            {
                throw new InvalidResponseException("bare LF in response head");
            }

            var line = data[position..(lf - 1)];
            position = lf + 1;
            if (lines == 0)
            {
                ParseStatusLine(line, ref head);
            }
            else if (line.IsEmpty)
            {
                if (head.Chunked && head.ContentLength >= 0)
                {
                    throw new InvalidResponseException("both Content-Length and Transfer-Encoding");
                }

                consumed = position;
                return true;
            }
            else
            {
                if (lines > MaxHeaders)
                {
                    throw new InvalidResponseException("too many response headers");
                }

                ParseHeader(line, ref head, ref sawTransferEncoding);
            }

            lines++;
        }
    }

    private static void ParseStatusLine(ReadOnlySpan<byte> line, ref Http1ResponseHead head)
    {
        // "HTTP/1.1 200" with an optional " reason".
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || (line[7] != '0' && line[7] != '1') || line[8] != ' '
            || !IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) || line[9] is < (byte)'1' or > (byte)'5'
            || (line.Length > 12 && line[12] != ' ') || !IsFieldValue(line[Math.Min(line.Length, 12)..]))
        {
            throw new InvalidResponseException("malformed status line");
        }

        head.Status = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        head.ConnectionClose = line[7] == '0';
    }

    private static void ParseHeader(ReadOnlySpan<byte> line, ref Http1ResponseHead head, ref bool sawTransferEncoding)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            throw new InvalidResponseException("obs-fold in response headers");
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            throw new InvalidResponseException("malformed response header name");
        }

        var name = line[..colon];
        var value = TrimOws(line[(colon + 1)..]);
        if (!IsFieldValue(value))
        {
            throw new InvalidResponseException("control character in response header value");
        }

        if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            if (value.IsEmpty || value.Length > 18 || !Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            {
                throw new InvalidResponseException("malformed Content-Length");
            }

            if (head.ContentLength >= 0 && head.ContentLength != length)
            {
                throw new InvalidResponseException("conflicting Content-Length headers");
            }

            head.ContentLength = length;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            // Only plain "chunked": any other coding would reach the client still encoded under a header we strip.
            if (sawTransferEncoding || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
            {
                throw new InvalidResponseException("unsupported Transfer-Encoding");
            }

            sawTransferEncoding = true;
            head.Chunked = true;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
        {
            foreach (var range in value.Split((byte)','))
            {
                var token = TrimOws(value[range]);
                if (Ascii.EqualsIgnoreCase(token, "close"u8))
                {
                    head.ConnectionClose = true;
                }
                else if (!token.IsEmpty && !Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
                {
                    head.ConnectionTokens = head.ConnectionTokens is null
                        ? Encoding.Latin1.GetString(value)
                        : head.ConnectionTokens + ", " + Encoding.Latin1.GetString(value);
                    break;
                }
            }
        }
    }

    /// <summary>Validates a trailer field of a chunked body (same rules as a header, no framing meaning).</summary>
    public static void ValidateTrailer(ReadOnlySpan<byte> line)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            throw new InvalidResponseException("obs-fold in trailers");
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]) || !IsFieldValue(line[(colon + 1)..]))
        {
            throw new InvalidResponseException("malformed trailer");
        }
    }

    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length && value[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        var end = value.Length;
        while (end > start && value[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return value[start..end];
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    /// <summary>tchar of RFC 9110 §5.6.2.</summary>
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            var ok = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
                    or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>field-value bytes: visible ASCII, obs-text, SP and HTAB; no other control characters (CR, NUL, DEL).</summary>
    private static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
