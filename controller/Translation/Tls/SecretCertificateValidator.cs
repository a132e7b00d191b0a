using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Translation.Tls;

/// <summary>
/// Checks a TLS Secret before it reaches the proxy: tls.crt holds PEM certificates in chain order
/// (each one issued by the next), tls.key holds the leaf's private key. Error messages never quote the key.
/// </summary>
internal static class SecretCertificateValidator
{
    public const string CertificateKey = "tls.crt";
    public const string PrivateKeyKey = "tls.key";
    public const string CaKey = "ca.crt";

    public static bool TryValidate(Secret secret, out ValidatedCertificate? certificate, out string? error)
    {
        certificate = null;
        if (!TryDecode(secret, CertificateKey, out var certificatePem, out error)
            || !TryDecode(secret, PrivateKeyKey, out var keyPem, out error))
        {
            return false;
        }

        return TryValidatePem(certificatePem, keyPem, out certificate, out error);
    }

    /// <summary>Validates a PEM chain and key as <see cref="TryValidate"/> does, wherever they come from.</summary>
    public static bool TryValidatePem(string certificatePem, string keyPem, out ValidatedCertificate? certificate, out string? error)
    {
        certificate = null;
        error = null;
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certificatePem);
        }
        catch (CryptographicException ex)
        {
            error = $"{CertificateKey} is not a PEM certificate chain ({ex.Message})";
            return false;
        }

        if (chain.Count == 0)
        {
            error = $"{CertificateKey} holds no CERTIFICATE block";
            return false;
        }

        try
        {
            for (var i = 1; i < chain.Count; i++)
            {
                if (!chain[i - 1].IssuerName.RawData.AsSpan().SequenceEqual(chain[i].SubjectName.RawData))
                {
                    error = $"{CertificateKey} is not in chain order: certificate {i} ({chain[i].Subject}) did not issue certificate {i - 1} ({chain[i - 1].Subject})";
                    return false;
                }
            }

            try
            {
                using var withKey = X509Certificate2.CreateFromPem(certificatePem, keyPem);
                if (!withKey.HasPrivateKey)
                {
                    error = $"{PrivateKeyKey} does not match the certificate";
                    return false;
                }
            }
            catch (CryptographicException)
            {
                // The platform's message may include parts of the key PEM; say what is wrong instead.
                error = $"{PrivateKeyKey} is not a PEM private key matching the certificate in {CertificateKey}";
                return false;
            }
            catch (ArgumentException)
            {
                error = $"{PrivateKeyKey} is not a PEM private key matching the certificate in {CertificateKey}";
                return false;
            }

            certificate = new ValidatedCertificate(certificatePem, keyPem, new DateTimeOffset(chain[0].NotBefore.ToUniversalTime()), new DateTimeOffset(chain[0].NotAfter.ToUniversalTime()), chain[0].PublicKey.Oid.Value ?? "");
            return true;
        }
        finally
        {
            foreach (var item in chain)
            {
                item.Dispose();
            }
        }
    }

    /// <summary>A CA bundle (ca.crt) for auth-tls-secret or proxy-ssl-secret.</summary>
    public static bool TryReadCaBundle(Secret secret, out string? caPem, out string? error)
    {
        if (!TryDecode(secret, CaKey, out var pem, out error))
        {
            caPem = null;
            return false;
        }

        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            caPem = null;
            error = $"{CaKey} is not a PEM certificate bundle ({ex.Message})";
            return false;
        }

        if (bundle.Count == 0)
        {
            caPem = null;
            error = $"{CaKey} holds no CERTIFICATE block";
            return false;
        }

        caPem = pem;
        return true;
    }

    public static bool Has(Secret secret, string key) => secret.Data?.ContainsKey(key) == true;

    private static bool TryDecode(Secret secret, string key, out string value, out string? error)
    {
        value = "";
        if (secret.Data is null || !secret.Data.TryGetValue(key, out var encoded) || string.IsNullOrEmpty(encoded))
        {
            error = $"data.{key} is missing";
            return false;
        }

        try
        {
            value = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            error = null;
            return true;
        }
        catch (FormatException)
        {
            error = $"data.{key} is not base64";
            return false;
        }
    }
}
