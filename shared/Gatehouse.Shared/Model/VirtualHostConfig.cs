using System.Collections.Immutable;

namespace Gatehouse.Model;

/// <summary>
/// One server block. <see cref="Host"/> is an exact lower-case host ("foo.example.com"),
/// a wildcard covering exactly one label ("*.example.com"), or "" for rules without a host,
/// which serve requests whose host matches no other server.
/// </summary>
public sealed record VirtualHostConfig
{
    public required string Host { get; init; }

    /// <summary>Routes in match priority order: longer paths first, Exact before Prefix on a tie.</summary>
    public ImmutableArray<RouteConfig> Routes { get; init; } = [];

    /// <summary>Name of the certificate serving this host, if any (TLS feature).</summary>
    public string? Certificate { get; init; }

    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);
}
