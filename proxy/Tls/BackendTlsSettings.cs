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

    /// <summary>
    /// The TLS client options of one new backend connection. SNI as in ingress-nginx: sent only with
    /// proxy-ssl-server-name on, naming proxy-ssl-name or else the request's host. Verification (only with
    /// proxy-ssl-verify on) checks the certificate against proxy-ssl-name, else the request's host, and
    /// against proxy-ssl-secret's ca.crt when there is one, else the system roots.
    /// </summary>
    public static SslClientAuthenticationOptions ClientOptions(BackendTlsSettings? settings, string? requestHost, bool http2)
    {
        var options = new SslClientAuthenticationOptions
        {
            ApplicationProtocols = [http2 ? SslApplicationProtocol.Http2 : SslApplicationProtocol.Http11],

            // An empty target host sends no server_name extension (nginx's proxy_ssl_server_name off).
            TargetHost = "",
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        };
        if (settings is null)
        {
            return options;
        }

        var config = settings.Config;
        var name = config.Name ?? requestHost;
        if (config.SendServerName && !string.IsNullOrEmpty(name))
        {
            options.TargetHost = name;
        }

        if (settings.ClientCertificate is { } client)
        {
            options.ClientCertificates = [client];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => client;
        }

        if (config.Verify)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => settings.Validate(certificate, chain, errors, name);
        }

        return options;
    }

    /// <summary>
    /// GRPCS: the handler does the TLS, so SNI is always the request's host (HTTP/2 to a TLS backend
    /// needs the https scheme, which makes the handler derive it); the rest of proxy-ssl-* applies.
    /// </summary>
    public void ApplyToHandler(SslClientAuthenticationOptions ssl)
    {
        if (ClientCertificate is { } client)
        {
            ssl.ClientCertificates = [client];
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => client;
        }

        ssl.RemoteCertificateValidationCallback = Config.Verify
            ? (sender, certificate, chain, errors) => Validate(certificate, chain, errors, Config.Name ?? (sender as SslStream)?.TargetHostName)
            : static (_, _, _, _) => true;
    }

    private bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, string? expectedName)
    {
        if (certificate is null || string.IsNullOrEmpty(expectedName))
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (!leaf.MatchesHostname(expectedName))
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
