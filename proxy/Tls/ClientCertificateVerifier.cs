using System.Security.Cryptography.X509Certificates;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// A host's auth-tls-* settings, compiled: the trusted CA bundle and how strictly to check. The handshake
/// always completes; the verdict is kept on the connection and enforced per request
/// (<see cref="ClientCertificatePolicy"/>), as nginx does, so a failure can answer 400 or the error page.
/// </summary>
internal sealed class ClientCertificateVerifier
{
    private readonly X509Certificate2Collection _trusted;

    public ClientCertificateVerifier(ClientAuthConfig config)
    {
        Config = config;
        _trusted = new X509Certificate2Collection();
        if (!string.IsNullOrWhiteSpace(config.CaPem))
        {
            _trusted.ImportFromPem(config.CaPem);
        }
    }

    public ClientAuthConfig Config { get; }

    public ClientCertificateVerification Mode => Config.Verify;

    /// <summary>Whether the handshake asks the client for a certificate.</summary>
    public bool RequestsCertificate => Mode != ClientCertificateVerification.Off;

    public ClientCertificateStatus Verify(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return Mode == ClientCertificateVerification.On ? ClientCertificateStatus.Missing : ClientCertificateStatus.None;
        }

        if (Mode == ClientCertificateVerification.OptionalNoCa)
        {
            // optional_no_ca: the certificate is passed on, never judged.
            return ClientCertificateStatus.Unverified;
        }

        if (_trusted.Count == 0)
        {
            return ClientCertificateStatus.Invalid;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        var valid = chain.Build(certificate);

        // nginx's depth counts the certificates above the client's: depth 1 means signed directly by a trusted CA.
        var depthOk = chain.ChainElements.Count - 1 <= Math.Max(Config.Depth, 1);
        return valid && depthOk ? ClientCertificateStatus.Verified : ClientCertificateStatus.Invalid;
    }
}
