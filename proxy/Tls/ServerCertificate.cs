using System.Collections.Immutable;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// A certificate ready for handshakes: the leaf with its key and one <see cref="SslStreamCertificateContext"/>
/// (chain built once). Shared across generations while its PEM is unchanged, so rotation of one Secret
/// never rebuilds the others.
/// </summary>
public sealed class ServerCertificate
{
    internal ServerCertificate(string name, string pemHash, X509Certificate2 leaf, SslStreamCertificateContext context, CertificateKeyType keyType, ImmutableArray<string> dnsNames)
    {
        Name = name;
        PemHash = pemHash;
        Leaf = leaf;
        Context = context;
        KeyType = keyType;
        DnsNames = dnsNames;
    }

    /// <summary>"namespace/secret", or "gatehouse/self-signed" for the generated default.</summary>
    public string Name { get; }

    /// <summary>SHA-256 of certificate and key PEM: the reuse key across generations.</summary>
    public string PemHash { get; }

    public X509Certificate2 Leaf { get; }

    public SslStreamCertificateContext Context { get; }

    public CertificateKeyType KeyType { get; }

    /// <summary>The leaf's SAN DNS names, lower case (wildcards as "*.example.com").</summary>
    public ImmutableArray<string> DnsNames { get; }

    public DateTime NotAfter => Leaf.NotAfter;

    public override string ToString() => $"{Name} ({KeyType}, {Leaf.Subject}, until {NotAfter:O})";
}
