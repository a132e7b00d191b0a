using System.Collections.Immutable;

namespace Gatehouse.Model;

/// <summary>Per-host TLS settings from the Ingress annotations.</summary>
public sealed record TlsPolicyConfig
{
    /// <summary>ssl-protocols, e.g. ["TLSv1.2", "TLSv1.3"]; empty: the proxy's default.</summary>
    public ImmutableArray<string> Protocols { get; init; } = [];

    /// <summary>ssl-ciphers in OpenSSL syntax; null: the platform default.</summary>
    public string? Ciphers { get; init; }

    /// <summary>auth-tls-*: client certificate verification, or null for none.</summary>
    public ClientAuthConfig? ClientAuth { get; init; }
}
