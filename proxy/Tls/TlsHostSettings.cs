using System.Collections.Immutable;
using System.Net.Security;
using System.Security.Authentication;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Everything a handshake for one SNI name needs, compiled once per generation: the certificates to
/// choose from and the host's ssl-protocols, ssl-ciphers and client certificate settings.
/// </summary>
internal sealed class TlsHostSettings
{
    public TlsHostSettings(string host, ImmutableArray<ServerCertificate> certificates, SslProtocols protocols, CipherSuitesPolicy? cipherSuites, ClientCertificateVerifier? clientCertificates)
    {
        Host = host;
        Certificates = certificates;
        Protocols = protocols;
        CipherSuites = cipherSuites;
        ClientCertificates = clientCertificates;
    }

    /// <summary>The TLS host this entry came from ("" for the default).</summary>
    public string Host { get; }

    public ImmutableArray<ServerCertificate> Certificates { get; }

    /// <summary>None: the platform's default versions.</summary>
    public SslProtocols Protocols { get; }

    public CipherSuitesPolicy? CipherSuites { get; }

    public ClientCertificateVerifier? ClientCertificates { get; }

    public bool AllowsTls13 => Protocols == SslProtocols.None || Protocols.HasFlag(SslProtocols.Tls13);

    public TlsHostSettings WithCertificates(ImmutableArray<ServerCertificate> certificates)
        => new(Host, certificates, Protocols, CipherSuites, ClientCertificates);
}
