namespace Gatehouse.Proxy.Tls;

/// <summary>The public key algorithm of a server certificate: what a client must support to verify it.</summary>
public enum CertificateKeyType
{
    Rsa,
    Ecdsa,
    Other,
}
