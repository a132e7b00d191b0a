using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Copies a validated response head into Kestrel's response headers, dropping hop-by-hop fields.
/// Common header names come from a fixed table, and their values are reused from the connection's
/// previous response when the bytes are the same (Server, Content-Type, often Content-Length and
/// Date), so a typical response costs no string at all.
/// </summary>
internal static class ResponseHeaderCopier
{
    private static readonly string[] KnownNames =
    [
        "Content-Type", "Content-Length", "Date", "Server", "Cache-Control", "ETag", "Last-Modified", "Expires",
        "Vary", "Location", "Set-Cookie", "Content-Encoding", "Accept-Ranges", "Age", "Content-Range",
        "Content-Language", "Content-Disposition", "Access-Control-Allow-Origin", "Strict-Transport-Security",
        "X-Content-Type-Options", "Pragma", "Link", "WWW-Authenticate", "Retry-After", "Connection",
        "Keep-Alive", "Transfer-Encoding",
    ];

    /// <summary>Slots for <see cref="Copy"/>'s value reuse: one per known header name, owned by one connection.</summary>
    public static string?[] NewValueCache() => new string?[KnownNames.Length];

    /// <param name="valueCache">From <see cref="NewValueCache"/>; used by one response at a time.</param>
    public static void Copy(ReadOnlySpan<byte> head, in Http1ResponseHead parsed, HttpResponse response, string?[] valueCache)
    {
        var target = response.Headers;
        var connection = parsed.ConnectionTokens is null ? StringValues.Empty : new StringValues(parsed.ConnectionTokens);

        // Skip the status line; the parser has already proven every line ends in CRLF.
        var position = head.IndexOf((byte)'\n') + 1;
        while (true)
        {
            var lf = head[position..].IndexOf((byte)'\n') + position;
            var line = head[position..(lf - 1)];
            position = lf + 1;
            if (line.IsEmpty)
            {
                return;
            }

            var colon = line.IndexOf((byte)':');
            var known = KnownIndex(line[..colon]);
            var name = known >= 0 ? KnownNames[known] : Encoding.Latin1.GetString(line[..colon]);
            if (HopByHopHeaders.IsHopByHop(name) || (connection.Count != 0 && HopByHopHeaders.IsListedInConnection(connection, name)))
            {
                continue;
            }

            var bytes = Http1ResponseParser.TrimOws(line[(colon + 1)..]);
            var value = known >= 0 ? Reuse(ref valueCache[known], bytes) : Encoding.Latin1.GetString(bytes);
            var existing = target[name];
            target[name] = existing.Count == 0 ? new StringValues(value) : StringValues.Concat(existing, value);
        }
    }

    private static int KnownIndex(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < KnownNames.Length; i++)
        {
            var known = KnownNames[i];
            if (known.Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(name, known))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Reuse(ref string? cached, ReadOnlySpan<byte> bytes)
    {
        if (cached is not null && Latin1Text.EqualsBytes(cached, bytes))
        {
            return cached;
        }

        return cached = Encoding.Latin1.GetString(bytes);
    }
}
