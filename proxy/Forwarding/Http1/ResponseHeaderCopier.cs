using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Copies a validated response head into Kestrel's response headers, dropping hop-by-hop fields.
/// Common header names come from a fixed table, so only values cost a string.
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

    public static void Copy(ReadOnlySpan<byte> head, in Http1ResponseHead parsed, HttpResponse response)
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
            var name = NameOf(line[..colon]);
            if (HopByHopHeaders.IsHopByHop(name) || (connection.Count != 0 && HopByHopHeaders.IsListedInConnection(connection, name)))
            {
                continue;
            }

            var value = Encoding.Latin1.GetString(Http1ResponseParser.TrimOws(line[(colon + 1)..]));
            var existing = target[name];
            target[name] = existing.Count == 0 ? new StringValues(value) : StringValues.Concat(existing, value);
        }
    }

    private static string NameOf(ReadOnlySpan<byte> name)
    {
        foreach (var known in KnownNames)
        {
            if (known.Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return Encoding.Latin1.GetString(name);
    }
}
