using System.Collections.Immutable;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// What the proxy needs from a TLS ClientHello to pick a certificate and a host's settings before the
/// handshake starts: the SNI name and what the client can verify (signature algorithms), negotiate
/// (versions) and use (cipher suites). Parsed by <see cref="ClientHelloParser"/>.
/// </summary>
internal sealed class ClientHello
{
    public required string? ServerName { get; init; }

    /// <summary>supported_versions (TLS 1.3 clients), else empty: only the legacy version field counts.</summary>
    public required ImmutableArray<ushort> SupportedVersions { get; init; }

    /// <summary>The legacy client_version field (0x0303 for TLS 1.2 and for every TLS 1.3 client).</summary>
    public required ushort LegacyVersion { get; init; }

    public required ImmutableArray<ushort> CipherSuites { get; init; }

    /// <summary>signature_algorithms; empty when the client did not send the extension.</summary>
    public required ImmutableArray<ushort> SignatureAlgorithms { get; init; }

    public bool OffersTls13 => SupportedVersions.Contains(TlsConstants.Tls13);
}
