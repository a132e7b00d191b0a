namespace Gatehouse.Proxy.Http2;

/// <summary>Lowercase field names the server compares by reference or hands out without allocating.</summary>
internal static class KnownHeaderNames
{
    public const string Host = "host";
    public const string Cookie = "cookie";
    public const string ContentLength = "content-length";
    public const string Te = "te";

    private static readonly string[] Common =
    [
        "accept", "accept-encoding", "accept-language", "authorization", "cache-control", Cookie, ContentLength,
        "content-type", "grpc-accept-encoding", "grpc-encoding", "grpc-timeout", Host, "if-modified-since",
        "if-none-match", "origin", "pragma", "priority", "range", "referer", "sec-ch-ua", "sec-ch-ua-mobile",
        "sec-ch-ua-platform", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", Te,
        "upgrade-insecure-requests", "user-agent", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
        "x-real-ip", "x-request-id", "traceparent", "tracestate", "baggage",
    ];

    /// <summary>The interned name for these (already validated, lowercase) bytes, or null.</summary>
    public static string? Find(ReadOnlySpan<byte> name)
    {
        foreach (var candidate in Common)
        {
            if (candidate.Length == name.Length && Forwarding.Latin1Text.EqualsBytes(candidate, name))
            {
                return candidate;
            }
        }

        return null;
    }
}
