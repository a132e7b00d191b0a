using System.Text;

namespace Gatehouse.Proxy.Http2.Hpack;

/// <summary>The 61 predefined header fields of RFC 7541 Appendix A, indexed from 1.</summary>
internal static class HpackStaticTable
{
    public const int Count = 61;

    private static readonly Entry[] Entries =
    [
        new([], []), // index 0 is not an entry: an indexed field with index 0 is malformed
        new(":authority"u8.ToArray(), []),
        new(":method"u8.ToArray(), "GET"u8.ToArray()),
        new(":method"u8.ToArray(), "POST"u8.ToArray()),
        new(":path"u8.ToArray(), "/"u8.ToArray()),
        new(":path"u8.ToArray(), "/index.html"u8.ToArray()),
        new(":scheme"u8.ToArray(), "http"u8.ToArray()),
        new(":scheme"u8.ToArray(), "https"u8.ToArray()),
        new(":status"u8.ToArray(), "200"u8.ToArray()),
        new(":status"u8.ToArray(), "204"u8.ToArray()),
        new(":status"u8.ToArray(), "206"u8.ToArray()),
        new(":status"u8.ToArray(), "304"u8.ToArray()),
        new(":status"u8.ToArray(), "400"u8.ToArray()),
        new(":status"u8.ToArray(), "404"u8.ToArray()),
        new(":status"u8.ToArray(), "500"u8.ToArray()),
        new("accept-charset"u8.ToArray(), []),
        new("accept-encoding"u8.ToArray(), "gzip, deflate"u8.ToArray()),
        new("accept-language"u8.ToArray(), []),
        new("accept-ranges"u8.ToArray(), []),
        new("accept"u8.ToArray(), []),
        new("access-control-allow-origin"u8.ToArray(), []),
        new("age"u8.ToArray(), []),
        new("allow"u8.ToArray(), []),
        new("authorization"u8.ToArray(), []),
        new("cache-control"u8.ToArray(), []),
        new("content-disposition"u8.ToArray(), []),
        new("content-encoding"u8.ToArray(), []),
        new("content-language"u8.ToArray(), []),
        new("content-length"u8.ToArray(), []),
        new("content-location"u8.ToArray(), []),
        new("content-range"u8.ToArray(), []),
        new("content-type"u8.ToArray(), []),
        new("cookie"u8.ToArray(), []),
        new("date"u8.ToArray(), []),
        new("etag"u8.ToArray(), []),
        new("expect"u8.ToArray(), []),
        new("expires"u8.ToArray(), []),
        new("from"u8.ToArray(), []),
        new("host"u8.ToArray(), []),
        new("if-match"u8.ToArray(), []),
        new("if-modified-since"u8.ToArray(), []),
        new("if-none-match"u8.ToArray(), []),
        new("if-range"u8.ToArray(), []),
        new("if-unmodified-since"u8.ToArray(), []),
        new("last-modified"u8.ToArray(), []),
        new("link"u8.ToArray(), []),
        new("location"u8.ToArray(), []),
        new("max-forwards"u8.ToArray(), []),
        new("proxy-authenticate"u8.ToArray(), []),
        new("proxy-authorization"u8.ToArray(), []),
        new("range"u8.ToArray(), []),
        new("referer"u8.ToArray(), []),
        new("refresh"u8.ToArray(), []),
        new("retry-after"u8.ToArray(), []),
        new("server"u8.ToArray(), []),
        new("set-cookie"u8.ToArray(), []),
        new("strict-transport-security"u8.ToArray(), []),
        new("transfer-encoding"u8.ToArray(), []),
        new("user-agent"u8.ToArray(), []),
        new("vary"u8.ToArray(), []),
        new("via"u8.ToArray(), []),
        new("www-authenticate"u8.ToArray(), []),
    ];

    public static ReadOnlySpan<byte> GetName(int index) => Entries[ValidIndex(index)].Name;

    public static ReadOnlySpan<byte> GetValue(int index) => Entries[ValidIndex(index)].Value;

    /// <summary>Index of the fully indexed ":status" field for <paramref name="statusCode"/>, or 0.</summary>
    public static int FindStatus(int statusCode) => statusCode switch
    {
        200 => 8,
        204 => 9,
        206 => 10,
        304 => 11,
        400 => 12,
        404 => 13,
        500 => 14,
        _ => 0,
    };

    /// <summary>
    /// Index of the entry whose name matches <paramref name="name"/> (ASCII case-insensitively) and whose value
    /// is exactly <paramref name="value"/>, or 0.
    /// </summary>
    public static int FindField(ReadOnlySpan<char> name, ReadOnlySpan<char> value)
    {
        var index = FindName(name);
        if (index == 0)
        {
            return 0;
        }

        // Entries that share a name are adjacent (":method", ":path", ":scheme", ":status").
        var firstName = Entries[index].Name;
        for (; index <= Count && Entries[index].Name.AsSpan().SequenceEqual(firstName); index++)
        {
            if (Ascii.Equals(Entries[index].Value, value))
            {
                return index;
            }
        }

        return 0;
    }

    /// <summary>
    /// Index of the first entry named <paramref name="name"/>, compared ASCII case-insensitively, or 0. Responses
    /// carry HTTP/1.1 spellings such as "Content-Type": the name is matched as it is, never lowercased into a copy.
    /// </summary>
    public static int FindName(ReadOnlySpan<char> name)
    {
        switch (name.Length)
        {
            case 3:
                switch (LowercaseAscii(name[0]))
                {
                    case 'a':
                        return Is(name, "age") ? 21 : 0;
                    case 'v':
                        return Is(name, "via") ? 60 : 0;
                    default:
                        return 0;
                }
            case 4:
                switch (LowercaseAscii(name[0]))
                {
                    case 'd':
                        return Is(name, "date") ? 33 : 0;
                    case 'e':
                        return Is(name, "etag") ? 34 : 0;
                    case 'f':
                        return Is(name, "from") ? 37 : 0;
                    case 'h':
                        return Is(name, "host") ? 38 : 0;
                    case 'l':
                        return Is(name, "link") ? 45 : 0;
                    case 'v':
                        return Is(name, "vary") ? 59 : 0;
                    default:
                        return 0;
                }
            case 5:
                switch (LowercaseAscii(name[0]))
                {
                    case ':':
                        return Is(name, ":path") ? 4 : 0;
                    case 'a':
                        return Is(name, "allow") ? 22 : 0;
                    case 'r':
                        return Is(name, "range") ? 50 : 0;
                    default:
                        return 0;
                }
            case 6:
                switch (LowercaseAscii(name[0]))
                {
                    case 'a':
                        return Is(name, "accept") ? 19 : 0;
                    case 'c':
                        return Is(name, "cookie") ? 32 : 0;
                    case 'e':
                        return Is(name, "expect") ? 35 : 0;
                    case 's':
                        return Is(name, "server") ? 54 : 0;
                    default:
                        return 0;
                }
            case 7:
                switch (LowercaseAscii(name[0]))
                {
                    case ':':
                        return Is(name, ":method") ? 2 : Is(name, ":scheme") ? 6 : Is(name, ":status") ? 8 : 0;
                    case 'e':
                        return Is(name, "expires") ? 36 : 0;
                    case 'r':
                        return Is(name, "referer") ? 51 : Is(name, "refresh") ? 52 : 0;
                    default:
                        return 0;
                }
            case 8:
                switch (LowercaseAscii(name[0]))
                {
                    case 'i':
                        return Is(name, "if-match") ? 39 : Is(name, "if-range") ? 42 : 0;
                    case 'l':
                        return Is(name, "location") ? 46 : 0;
                    default:
                        return 0;
                }
            case 10:
                switch (LowercaseAscii(name[0]))
                {
                    case ':':
                        return Is(name, ":authority") ? 1 : 0;
                    case 's':
                        return Is(name, "set-cookie") ? 55 : 0;
                    case 'u':
                        return Is(name, "user-agent") ? 58 : 0;
                    default:
                        return 0;
                }
            case 11:
                return Is(name, "retry-after") ? 53 : 0;
            case 12:
                switch (LowercaseAscii(name[0]))
                {
                    case 'c':
                        return Is(name, "content-type") ? 31 : 0;
                    case 'm':
                        return Is(name, "max-forwards") ? 47 : 0;
                    default:
                        return 0;
                }
            case 13:
                switch (LowercaseAscii(name[0]))
                {
                    case 'a':
                        return Is(name, "accept-ranges") ? 18 : Is(name, "authorization") ? 23 : 0;
                    case 'c':
                        return Is(name, "cache-control") ? 24 : Is(name, "content-range") ? 30 : 0;
                    case 'i':
                        return Is(name, "if-none-match") ? 41 : 0;
                    case 'l':
                        return Is(name, "last-modified") ? 44 : 0;
                    default:
                        return 0;
                }
            case 14:
                switch (LowercaseAscii(name[0]))
                {
                    case 'a':
                        return Is(name, "accept-charset") ? 15 : 0;
                    case 'c':
                        return Is(name, "content-length") ? 28 : 0;
                    default:
                        return 0;
                }
            case 15:
                switch (LowercaseAscii(name[0]))
                {
                    case 'a':
                        return Is(name, "accept-encoding") ? 16 : Is(name, "accept-language") ? 17 : 0;
                    default:
                        return 0;
                }
            case 16:
                switch (LowercaseAscii(name[0]))
                {
                    case 'c':
                        return Is(name, "content-encoding") ? 26 : Is(name, "content-language") ? 27 : Is(name, "content-location") ? 29 : 0;
                    case 'w':
                        return Is(name, "www-authenticate") ? 61 : 0;
                    default:
                        return 0;
                }
            case 17:
                switch (LowercaseAscii(name[0]))
                {
                    case 'i':
                        return Is(name, "if-modified-since") ? 40 : 0;
                    case 't':
                        return Is(name, "transfer-encoding") ? 57 : 0;
                    default:
                        return 0;
                }
            case 18:
                return Is(name, "proxy-authenticate") ? 48 : 0;
            case 19:
                switch (LowercaseAscii(name[0]))
                {
                    case 'c':
                        return Is(name, "content-disposition") ? 25 : 0;
                    case 'i':
                        return Is(name, "if-unmodified-since") ? 43 : 0;
                    case 'p':
                        return Is(name, "proxy-authorization") ? 49 : 0;
                    default:
                        return 0;
                }
            case 25:
                return Is(name, "strict-transport-security") ? 56 : 0;
            case 27:
                return Is(name, "access-control-allow-origin") ? 20 : 0;
            default:
                return 0;
        }
    }

    private static bool Is(ReadOnlySpan<char> name, string candidate) => Ascii.EqualsIgnoreCase(name, candidate);

    // Only a dispatch key: every candidate is confirmed by an exact comparison, so folding non-letters is harmless.
    private static char LowercaseAscii(char c) => (char)(c | 0x20);

    private static int ValidIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Count);
        return index;
    }

    private sealed record Entry(byte[] Name, byte[] Value);
}
