using System.Text;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// The field names common enough to deserve one shared string, in their <see cref="HeaderNames"/> spelling
/// whatever case the client used (as Kestrel's HTTP/1.1 request headers report them). The parser also
/// recognises the framing and connection fields by reference to these strings.
/// </summary>
internal static class Http1KnownHeaderNames
{
    // Indexed by name length, so a lookup compares against a handful of candidates at most.
    private static readonly string[][] s_byLength = Build(
    [
        HeaderNames.Accept, HeaderNames.AcceptCharset, HeaderNames.AcceptEncoding, HeaderNames.AcceptLanguage,
        HeaderNames.AccessControlRequestHeaders, HeaderNames.AccessControlRequestMethod, HeaderNames.Authorization,
        HeaderNames.Baggage, HeaderNames.CacheControl, HeaderNames.Connection, HeaderNames.ContentEncoding,
        HeaderNames.ContentLength, HeaderNames.ContentType, HeaderNames.Cookie, HeaderNames.CorrelationContext,
        HeaderNames.DNT, HeaderNames.Expect, "Forwarded", HeaderNames.From, HeaderNames.GrpcAcceptEncoding,
        HeaderNames.GrpcEncoding, HeaderNames.GrpcTimeout, HeaderNames.Host, HeaderNames.IfMatch,
        HeaderNames.IfModifiedSince, HeaderNames.IfNoneMatch, HeaderNames.IfRange, HeaderNames.IfUnmodifiedSince,
        HeaderNames.KeepAlive, HeaderNames.MaxForwards, HeaderNames.Origin, HeaderNames.Pragma,
        HeaderNames.ProxyAuthorization, HeaderNames.Range, HeaderNames.Referer, HeaderNames.RequestId,
        HeaderNames.SecWebSocketExtensions, HeaderNames.SecWebSocketKey, HeaderNames.SecWebSocketProtocol,
        HeaderNames.SecWebSocketVersion, HeaderNames.TE, HeaderNames.TraceParent, HeaderNames.TraceState,
        HeaderNames.TransferEncoding, HeaderNames.Upgrade, HeaderNames.UpgradeInsecureRequests, HeaderNames.UserAgent,
        HeaderNames.Via, "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
        HeaderNames.XRequestedWith, "Priority", "Proxy-Connection", "Sec-CH-UA", "Sec-CH-UA-Mobile",
        "Sec-CH-UA-Platform", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
        "X-Real-IP", "X-Request-ID", "X-Content-Length",
    ]);

    /// <summary>The shared string for this (token) name, compared ignoring ASCII case, or null.</summary>
    public static string? Find(ReadOnlySpan<byte> name)
    {
        if ((uint)name.Length >= (uint)s_byLength.Length)
        {
            return null;
        }

        foreach (var candidate in s_byLength[name.Length])
        {
            if (Ascii.EqualsIgnoreCase(name, candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string[][] Build(string[] names)
    {
        var table = new string[names.Max(n => n.Length) + 1][];
        for (var length = 0; length < table.Length; length++)
        {
            table[length] = [.. names.Where(n => n.Length == length)];
        }

        return table;
    }
}
