using System.Security.Cryptography;
using System.Text;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Rollout;

namespace Gatehouse.Controller.Checksums;

/// <summary>
/// The ids Tengine-Ingress checksums, so CRs from its tooling still match: an object with a numeric
/// "&lt;prefix&gt;version" annotation and a name ending in "-&lt;n&gt;" has the id "&lt;n&gt;-&lt;version&gt;";
/// a Secret appends "-&lt;sha1 hex of its leaf certificate's DER&gt;". Objects without both take no part.
/// </summary>
public static class ChecksumIds
{
    public const string CertificateKey = "tls.crt";

    public static string? ForIngress(Ingress ingress, string annotationsPrefix)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        return Base(ingress, annotationsPrefix);
    }

    public static string? ForSecret(Secret secret, string annotationsPrefix)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (Base(secret, annotationsPrefix) is not { } id
            || secret.Data is null
            || !secret.Data.TryGetValue(CertificateKey, out var encoded)
            || LeafCertificateSha1(encoded) is not { } thumbprint)
        {
            return null;
        }

        return $"{id}-{thumbprint}";
    }

    /// <summary>Lower-case hex SHA-1 of the first certificate's DER in a base64-encoded PEM bundle; null when there is none.</summary>
    public static string? LeafCertificateSha1(string base64Pem)
    {
        ArgumentNullException.ThrowIfNull(base64Pem);
        byte[] pemBytes;
        try
        {
            pemBytes = Convert.FromBase64String(base64Pem);
        }
        catch (FormatException)
        {
            return null;
        }

        var pem = Encoding.ASCII.GetString(pemBytes).AsSpan();
        while (PemEncoding.TryFind(pem, out var fields))
        {
            if (pem[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out _))
                {
                    return null;
                }

                return Convert.ToHexStringLower(SHA1.HashData(der));
            }

            pem = pem[fields.Location.End..];
        }

        return null;
    }

    private static string? Base(KubernetesObject obj, string annotationsPrefix)
    {
        var ordinal = PodOrdinal.Parse(obj.Metadata.Name);
        if (ordinal < 0
            || obj.Metadata.Annotations is not { } annotations
            || !annotations.TryGetValue(annotationsPrefix + "version", out var version))
        {
            return null;
        }

        version = version.Trim();
        if (version.Length == 0 || !version.All(char.IsAsciiDigit))
        {
            return null;
        }

        return $"{ordinal}-{version}";
    }
}
