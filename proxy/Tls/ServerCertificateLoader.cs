using System.Collections.Immutable;
using System.Formats.Asn1;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gatehouse.Proxy.Tls;

/// <summary>Turns a PEM chain and key into a <see cref="ServerCertificate"/>. Never puts key material in exceptions.</summary>
internal static class ServerCertificateLoader
{
    public static string Hash(string certificatePem, string privateKeyPem)
    {
        var bytes = Encoding.UTF8.GetBytes(certificatePem + "\n--key--\n" + privateKeyPem);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <exception cref="CryptographicException">The PEM does not hold a usable certificate and matching key.</exception>
    public static ServerCertificate Load(string name, string certificatePem, string privateKeyPem, string? pemHash = null)
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(certificatePem);
        if (chain.Count == 0)
        {
            throw new CryptographicException("no CERTIFICATE block in the chain PEM");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem);
        }
        catch (CryptographicException)
        {
            // Rethrown without the inner message: it could quote the key PEM.
            throw new CryptographicException("the private key is missing, unreadable or does not match the certificate");
        }

        // Linux SslStream wants an exportable, ephemeral-key certificate; PKCS#12 round trip gives one
        // that does not depend on the PEM strings' lifetime.
        var usable = X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null);
        leaf.Dispose();

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var context = SslStreamCertificateContext.Create(usable, intermediates, offline: true);
        return new ServerCertificate(name, pemHash ?? Hash(certificatePem, privateKeyPem), usable, context, KeyTypeOf(usable), DnsNamesOf(usable));
    }

    public static ServerCertificate FromCertificate(string name, X509Certificate2 certificate)
    {
        var context = SslStreamCertificateContext.Create(certificate, null, offline: true);
        return new ServerCertificate(name, "generated:" + certificate.Thumbprint, certificate, context, KeyTypeOf(certificate), DnsNamesOf(certificate));
    }

    internal static CertificateKeyType KeyTypeOf(X509Certificate2 certificate) => certificate.PublicKey.Oid.Value switch
    {
        "1.2.840.113549.1.1.1" => CertificateKeyType.Rsa,
        "1.2.840.10045.2.1" => CertificateKeyType.Ecdsa,
        _ => CertificateKeyType.Other,
    };

    internal static ImmutableArray<string> DnsNamesOf(X509Certificate2 certificate)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                try
                {
                    foreach (var dns in san.EnumerateDnsNames())
                    {
                        names.Add(dns.TrimEnd('.').ToLowerInvariant());
                    }
                }
                catch (AsnContentException)
                {
                    // A malformed SAN only loses wildcard matching for this certificate.
                }
            }
        }

        return names.ToImmutable();
    }
}
