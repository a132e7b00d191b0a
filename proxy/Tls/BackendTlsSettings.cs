using System.Collections.Immutable;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// proxy-ssl-* for one backend's connection pool. The model carries backend TLS per route while
/// connection pools are per backend, so a backend takes the settings of the first route (config order:
/// hosts, then routes) that names it with settings, and its pool is keyed by them (<see cref="Key"/>):
/// changing them builds a new pool, unchanged settings keep the warm one.
/// </summary>
internal sealed class BackendTlsSettings
{
    private readonly X509Certificate2Collection _trusted = [];

    private BackendTlsSettings(BackendTlsConfig config, X509Certificate2? clientCertificate, string key)
    {
        Config = config;
        ClientCertificate = clientCertificate;
        Key = key;
        if (config.TrustedCaPem is { Length: > 0 } ca)
        {
            _trusted.ImportFromPem(ca);
        }
    }

    public BackendTlsConfig Config { get; }

    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Identifies the settings, client certificate content included: the pool reuse key.</summary>
    public string Key { get; }

    /// <summary>The settings for each backend named by a route with backend TLS; backends absent use the defaults.</summary>
    public static Dictionary<string, BackendTlsSettings> ForBackends(GatehouseConfig config)
    {
        var result = new Dictionary<string, BackendTlsSettings>(StringComparer.Ordinal);
        foreach (var host in config.Hosts)
        {
            foreach (var route in host.Routes)
            {
                if (route.BackendTls is { } tls && !result.ContainsKey(route.Backend))
                {
                    result[route.Backend] = Create(tls, config.Certificates);
                }
            }
        }

        return result;
    }

    private static BackendTlsSettings Create(BackendTlsConfig tls, ImmutableArray<CertificateConfig> certificates)
    {
        X509Certificate2? client = null;
        var clientHash = "";
        if (tls.ClientCertificate is { } name && certificates.FirstOrDefault(c => c.Name == name) is { } certificate)
        {
            clientHash = ServerCertificateLoader.Hash(certificate.CertificatePem, certificate.PrivateKeyPem);
            try
            {
                client = ServerCertificateLoader.Load(name, certificate.CertificatePem, certificate.PrivateKeyPem, clientHash).Leaf;
            }
            catch (CryptographicException)
            {
                // Without a usable client certificate the backend will refuse the handshake, which the
                // forwarder reports as a 502 for that backend only.
                client = null;
            }
        }

        var key = string.Join('|', tls.Verify, tls.Name, tls.SendServerName, tls.TrustedCaPem is null ? "" : ServerCertificateLoader.Hash(tls.TrustedCaPem, ""), clientHash);
        return new BackendTlsSettings(tls, client, key);
    }

    /// <summary>Configures the pool's TLS client options, before its first request.</summary>
    public void Apply(SslClientAuthenticationOptions ssl)
    {
        if (ClientCertificate is { } client)
        {
            ssl.ClientCertificates = [client];
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => client;
        }

        ssl.RemoteCertificateValidationCallback = Validate;
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!Config.Verify)
        {
            // proxy-ssl-verify off (the default, as in ingress-nginx).
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var nameOk = Config.Name is { } name
            ? leaf.MatchesHostname(name)
            : (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        if (!nameOk)
        {
            return false;
        }

        if (_trusted.Count == 0)
        {
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(leaf);
    }
}
