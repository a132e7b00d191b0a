using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Copies a validated response head into Kestrel's response headers, dropping hop-by-hop fields.
/// Common header names come from a fixed table; values, and the names of the first few headers outside
/// it, are reused from the connection's previous response when the bytes are the same (Server,
/// Content-Type, often Content-Length and Date, an app's own X- headers), so a typical response costs
/// no string at all.
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

    public static int KnownNameCount => KnownNames.Length;

    /// <param name="strings">The connection's strings from its previous response; used by one response at a time.</param>
    public static void Copy(ReadOnlySpan<byte> head, in Http1ResponseHead parsed, HttpResponse response, ResponseHeaderStrings strings)
    {
        var target = response.Headers;
        var knownValues = strings.KnownValues;
        var other = 0;
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
            var slot = known < 0 && other < ResponseHeaderStrings.OtherSlots ? other++ : -1;
            var name = known >= 0 ? KnownNames[known]
                : slot >= 0 ? Reuse(ref strings.OtherNames[slot], line[..colon])
                : Encoding.Latin1.GetString(line[..colon]);
            if (HopByHopHeaders.IsHopByHop(name) || (connection.Count != 0 && HopByHopHeaders.IsListedInConnection(connection, name)))
            {
                continue;
            }

            var bytes = Http1ResponseParser.TrimOws(line[(colon + 1)..]);
            var value = known >= 0 ? Reuse(ref knownValues[known], bytes)
                : slot >= 0 ? Reuse(ref strings.OtherValues[slot], bytes)
                : Encoding.Latin1.GetString(bytes);
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
