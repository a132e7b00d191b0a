using System.Collections.Immutable;

namespace Gatehouse.Model;

/// <summary>
/// A certificate chain and its private key, from a kubernetes.io/tls Secret.
/// <see cref="PrivateKeyPem"/> is secret material: never log it; dump tools redact it.
/// </summary>
public sealed record CertificateConfig
{
    /// <summary>"namespace/secret-name".</summary>
    public required string Name { get; init; }

    public required string CertificatePem { get; init; }

    public required string PrivateKeyPem { get; init; }

    /// <summary>Hosts from the Ingress tls entries that reference this Secret.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];
}
