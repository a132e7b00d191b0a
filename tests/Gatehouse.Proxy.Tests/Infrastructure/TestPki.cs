using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Model;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A throw-away CA made in memory per test, issuing RSA or ECDSA certificates as the PEM a
/// kubernetes.io/tls Secret would hold. Nothing is written to disk or committed.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly RSA _caKey = RSA.Create(2048);

    public TestPki(string name = "Gatehouse Test CA")
    {
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public X509Certificate2 Authority { get; }

    public string AuthorityPem => Authority.ExportCertificatePem() + "\n";

    /// <summary>A server certificate for <paramref name="dnsNames"/> with its chain (leaf, CA) and key as PEM.</summary>
    public CertificateConfig Server(string name, bool ecdsa, params string[] dnsNames)
    {
        var (pem, key, _) = Issue($"CN={name.Replace('/', '.')}", ecdsa, dnsNames, serverAuth: true);
        return new CertificateConfig { Name = name, CertificatePem = pem, PrivateKeyPem = key };
    }

    /// <summary>A client certificate (clientAuth) as PEM, the way proxy-ssl-secret carries one.</summary>
    public CertificateConfig ClientConfig(string name)
    {
        var (pem, key, _) = Issue($"CN={name.Replace('/', '.')}", ecdsa: false, [], serverAuth: false);
        return new CertificateConfig { Name = name, CertificatePem = pem, PrivateKeyPem = key };
    }

    /// <summary>A client certificate (clientAuth) with its key, ready for SslStream.</summary>
    public X509Certificate2 Client(string subject)
    {
        var (pem, key, _) = Issue(subject, ecdsa: false, [], serverAuth: false);
        using var loaded = X509Certificate2.CreateFromPem(pem, key);
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
    }

    private (string ChainPem, string KeyPem, X509Certificate2 Leaf) Issue(string subject, bool ecdsa, string[] dnsNames, bool serverAuth)
    {
        using var ec = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        using var rsa = ecdsa ? null : RSA.Create(2048);
        var request = ecdsa
            ? new CertificateRequest(subject, ec!, HashAlgorithmName.SHA256)
            : new CertificateRequest(subject, rsa!, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames)
            {
                san.AddDnsName(dns);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        // Signed with the CA's RSA key whatever the leaf's key type.
        var leaf = request.Create(
            Authority.SubjectName,
            X509SignatureGenerator.CreateForRSA(_caKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddHours(-1),
            DateTimeOffset.UtcNow.AddDays(10),
            RandomNumberGenerator.GetBytes(8));
        var keyPem = ecdsa ? ec!.ExportPkcs8PrivateKeyPem() : rsa!.ExportPkcs8PrivateKeyPem();
        return (leaf.ExportCertificatePem() + "\n" + AuthorityPem, keyPem, leaf);
    }

    public void Dispose()
    {
        Authority.Dispose();
        _caKey.Dispose();
    }
}
