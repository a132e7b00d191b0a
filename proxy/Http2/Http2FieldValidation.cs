using System.Buffers;
using System.Text;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// Byte-level checks on decoded HTTP/2 request fields (RFC 9113 section 8.2 and 8.3). A request these
/// refuse is malformed and never reaches the HTTP/1.1 backend, so nothing a lenient h1 parser could
/// read differently (a CR, LF, a second request line, a framing header) survives the downgrade.
/// All checks are allocation-free; the long ones are one vectorized scan.
/// </summary>
internal static class Http2FieldValidation
{
    // RFC 9110 tchar without A-Z: HTTP/2 names must be lowercase (RFC 9113 8.2.1), so an uppercase
    // byte is a malformed request rather than something to fold.
    private static readonly SearchValues<byte> s_nameBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"u8);

    // Field values: HTAB, visible ASCII, SP and obs-text. NUL, CR and LF are what RFC 9113 8.2.1 forbids;
    // the other controls and DEL are refused too, because an h1 backend may treat them as line or
    // field delimiters and RFC 9110 5.5 does not allow them in a field value either.
    private static readonly SearchValues<byte> s_valueBytes = SearchValues.Create(ValueBytes());

    /// <summary>The bytes a field value may hold (HTAB, SP, visible ASCII, obs-text; no controls, no DEL), for HTTP/1.1 too.</summary>
    internal static SearchValues<byte> ValueBytesSet => s_valueBytes;

    // An origin-form request-target that is safe to copy verbatim into an HTTP/1.1 request line:
    // visible ASCII only. Kestrel's h1 parser also accepts HTAB, DEL, other controls and '#' there,
    // but a backend may split the request line at HTAB, strip or stop at controls, or drop everything
    // after '#' as a fragment - each a way for the proxy and the backend to route different targets.
    private static readonly SearchValues<byte> s_targetBytes = SearchValues.Create(TargetBytes());

    // The reg-name bytes Kestrel accepts in an HTTP/1.1 Host header (measured, see the tests): RFC 3986
    // unreserved plus ! $ & ' ( ). Kestrel answers 400 for * + , ; = and for percent-encoding, so the
    // proxy refuses them in :authority as well rather than forward a Host the backend would refuse.
    private static readonly SearchValues<byte> s_regNameBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()"u8);

    private static readonly SearchValues<byte> s_hexDigits =
        SearchValues.Create("0123456789ABCDEFabcdef"u8);

    /// <summary>The bytes <see cref="IsValidPath"/> allows; shared with <see cref="Http2RequestTarget"/>.</summary>
    internal static SearchValues<byte> TargetByteValues => s_targetBytes;

    /// <summary>A regular (non-pseudo) field name: one or more lowercase token characters.</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name)
        => !name.IsEmpty && !name.ContainsAnyExcept(s_nameBytes);

    /// <summary>A field value per RFC 9113 8.2.1, without the controls an h1 backend could misread.</summary>
    public static bool IsValidValue(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return true;
        }

        // Leading or trailing whitespace would be trimmed by an h1 parser but kept here: refuse it so
        // both sides see the same value.
        if (IsWhitespace(value[0]) || IsWhitespace(value[^1]))
        {
            return false;
        }

        return !value.ContainsAnyExcept(s_valueBytes);
    }

    /// <summary>The connection-specific fields that make an HTTP/2 request malformed (RFC 9113 8.2.2).</summary>
    public static bool IsConnectionSpecific(ReadOnlySpan<byte> name)
    {
        // Compared ignoring case so the check holds even when a caller has not validated the name first:
        // "Transfer-Encoding" must never get through to the h1 side, whatever its spelling.
        return name.Length switch
        {
            7 => Ascii.EqualsIgnoreCase(name, "upgrade"u8),
            10 => Ascii.EqualsIgnoreCase(name, "connection"u8) || Ascii.EqualsIgnoreCase(name, "keep-alive"u8),
            16 => Ascii.EqualsIgnoreCase(name, "proxy-connection"u8),
            17 => Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8),
            _ => false,
        };
    }

    /// <summary>TE may only carry "trailers" in HTTP/2 (RFC 9113 8.2.2); tokens are case-insensitive.</summary>
    public static bool IsValidTeValue(ReadOnlySpan<byte> value)
        => Ascii.EqualsIgnoreCase(value, "trailers"u8);

    /// <summary>
    /// host[:port] as it will become the backend's Host header: a reg-name or IPv4 address, or an IPv6
    /// literal in brackets, and an optional port of one to five digits. No userinfo, no path, no
    /// percent-encoding, no IPv6 zone id.
    /// </summary>
    public static bool IsValidAuthority(ReadOnlySpan<byte> authority)
    {
        if (authority.IsEmpty)
        {
            return false;
        }

        ReadOnlySpan<byte> rest;
        if (authority[0] == (byte)'[')
        {
            var close = authority.IndexOf((byte)']');
            if (close < 0 || !IsIPv6Address(authority[1..close]))
            {
                return false;
            }

            rest = authority[(close + 1)..];
        }
        else
        {
            var hostEnd = authority.IndexOfAnyExcept(s_regNameBytes);
            if (hostEnd == 0)
            {
                return false;
            }

            rest = hostEnd < 0 ? default : authority[hostEnd..];
        }

        if (rest.IsEmpty)
        {
            return true;
        }

        // Kestrel takes any number of digits; five is the most a port can need.
        var port = rest[1..];
        return rest[0] == (byte)':'
            && port.Length is >= 1 and <= 5
            && !port.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    /// <summary>
    /// An origin-form :path (path and query) that can be written unchanged into an HTTP/1.1 request line:
    /// a leading '/', then visible ASCII except '#'. "*" (OPTIONS) is the caller's to handle.
    /// </summary>
    public static bool IsValidPath(ReadOnlySpan<byte> path)
        => !path.IsEmpty && path[0] == (byte)'/' && !path.ContainsAnyExcept(s_targetBytes);

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>RFC 3986 IPv6address (no zone id): eight h16 groups, one "::" for one or more of them, an IPv4 tail.</summary>
    private static bool IsIPv6Address(ReadOnlySpan<byte> text)
    {
        // "::" alone, the unspecified address, is no destination; Kestrel refuses "[::]" as a Host too.
        if (text.Length < 3)
        {
            return false;
        }

        var groups = 0;
        var compressed = false;
        var i = 0;
        if (text[0] == (byte)':')
        {
            if (text[1] != (byte)':')
            {
                return false;
            }

            compressed = true;
            i = 2;
        }

        while (true)
        {
            var start = i;
            while (i < text.Length && i - start < 5 && s_hexDigits.Contains(text[i]))
            {
                i++;
            }

            if (i < text.Length && text[i] == (byte)'.')
            {
                // The dotted IPv4 tail counts as two groups and must end the address.
                if (groups > 6 || !IsIPv4Address(text[start..]))
                {
                    return false;
                }

                groups += 2;
                break;
            }

            var length = i - start;
            if (length is 0 or > 4)
            {
                return false;
            }

            groups++;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != (byte)':' || ++i == text.Length)
            {
                return false;
            }

            if (text[i] == (byte)':')
            {
                if (compressed)
                {
                    return false;
                }

                compressed = true;
                if (++i == text.Length)
                {
                    break;
                }
            }
        }

        return compressed ? groups <= 7 : groups == 8;
    }

    /// <summary>Four RFC 3986 dec-octets (0-255, no leading zeros) separated by dots, and nothing else.</summary>
    private static bool IsIPv4Address(ReadOnlySpan<byte> text)
    {
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0)
            {
                if (text.IsEmpty || text[0] != (byte)'.')
                {
                    return false;
                }

                text = text[1..];
            }

            var digits = text.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (digits < 0)
            {
                digits = text.Length;
            }

            if (digits is 0 or > 3 || (digits > 1 && text[0] == (byte)'0'))
            {
                return false;
            }

            var value = 0;
            foreach (var b in text[..digits])
            {
                value = (value * 10) + (b - '0');
            }

            if (value > 255)
            {
                return false;
            }

            text = text[digits..];
        }

        return text.IsEmpty;
    }

    private static byte[] ValueBytes()
    {
        var bytes = new List<byte> { (byte)'\t' };
        for (var b = 0x20; b <= 0xFF; b++)
        {
            if (b != 0x7F)
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }

    private static byte[] TargetBytes()
    {
        var bytes = new List<byte>();
        for (var b = 0x21; b <= 0x7E; b++)
        {
            if (b != '#')
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }
}
