namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Per-connection TLS facts the request path needs, stored as a connection feature by the handshake:
/// the host settings chosen from SNI and the client certificate verdict.
/// </summary>
internal sealed class TlsConnectionState
{
    public TlsConnectionState(TlsHostSettings settings, ServerCertificate certificate, ClientHello? hello)
    {
        Settings = settings;
        Certificate = certificate;
        Hello = hello;
    }

    public TlsHostSettings Settings { get; }

    public ServerCertificate Certificate { get; }

    public ClientHello? Hello { get; }

    public ClientCertificateStatus ClientCertificateStatus { get; set; }

    /// <summary>The client certificate in DER, kept for auth-tls-pass-certificate-to-upstream.</summary>
    public byte[]? ClientCertificateDer { get; set; }
}
