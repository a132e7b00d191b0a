using System.Collections.Immutable;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Chooses among a host's certificates (one per key type) from what the client offered. ECDSA is smaller
/// and faster, so it wins when the client can use it: it offers an ECDSA signature scheme and either
/// TLS 1.3 (where any signature scheme works with any suite) or a TLS 1.2 ECDHE-ECDSA suite. Otherwise
/// RSA, the key every client supports. Another key type would be one more rule here.
/// </summary>
internal static class CertificateSelectionPolicy
{
    /// <param name="tls13Allowed">False when the host's ssl-protocols exclude TLS 1.3, so a 1.3 offer cannot count.</param>
    public static ServerCertificate Select(ImmutableArray<ServerCertificate> candidates, ClientHello? hello, bool tls13Allowed)
    {
        if (candidates.Length == 1)
        {
            return candidates[0];
        }

        var wantEcdsa = hello is not null && CanUseEcdsa(hello, tls13Allowed);
        ServerCertificate? rsa = null;
        foreach (var candidate in candidates)
        {
            if (candidate.KeyType == CertificateKeyType.Ecdsa && wantEcdsa)
            {
                return candidate;
            }

            if (candidate.KeyType == CertificateKeyType.Rsa)
            {
                rsa ??= candidate;
            }
        }

        return rsa ?? candidates[0];
    }

    public static bool CanUseEcdsa(ClientHello hello, bool tls13Allowed)
    {
        var ecdsaSignature = false;
        foreach (var scheme in hello.SignatureAlgorithms)
        {
            if (TlsConstants.IsEcdsaSignatureScheme(scheme))
            {
                ecdsaSignature = true;
                break;
            }
        }

        // TLS 1.2 clients may omit signature_algorithms; RFC 5246 §7.4.1.4.1 then implies SHA-1 with the
        // suite's own key type, so an ECDHE-ECDSA suite alone is enough.
        if (!ecdsaSignature && !hello.SignatureAlgorithms.IsEmpty)
        {
            return false;
        }

        if (tls13Allowed && hello.OffersTls13 && ecdsaSignature)
        {
            return true;
        }

        foreach (var suite in hello.CipherSuites)
        {
            if (TlsConstants.IsEcdheEcdsaSuite(suite))
            {
                return true;
            }
        }

        return false;
    }
}
