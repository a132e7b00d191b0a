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

    /// <summary>
    /// Name of the certificate serving this host, if any. Schema 1.0 carries one; from 1.2 it is the first
    /// of <see cref="Certificates"/>, kept for older readers.
    /// </summary>
    public string? Certificate { get; init; }

    /// <summary>
    /// Every certificate serving this host (schema 1.2): one per key type, e.g. an ECDSA and an RSA one,
    /// chosen per handshake from the ClientHello. Empty when the blob predates 1.2: use <see cref="Certificate"/>.
    /// </summary>
    public ImmutableArray<string> Certificates { get; init; } = [];

    /// <summary>ssl-protocols, ssl-ciphers and client certificate verification (schema 1.2).</summary>
    public TlsPolicyConfig? Tls { get; init; }

    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);
}
