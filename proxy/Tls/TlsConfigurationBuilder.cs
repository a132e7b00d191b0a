using System.Collections.Immutable;
using System.Security.Authentication;
using Gatehouse.Model;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Compiles a config's certificates and TLS hosts into a <see cref="TlsConfiguration"/>, off the request
/// path (on the strategy thread). Certificates are cached by PEM hash, so an unchanged Secret keeps its
/// <see cref="ServerCertificate"/> (and its SslStreamCertificateContext) across generations. A
/// certificate that fails to load is logged and skipped: its hosts get the default, the rest is served.
/// </summary>
internal sealed partial class TlsConfigurationBuilder
{
    private readonly ILogger _logger;
    private readonly ServerCertificate _fallbackDefault;
    private Dictionary<string, ServerCertificate> _byHash = new(StringComparer.Ordinal);

    public TlsConfigurationBuilder(ServerCertificate fallbackDefault, ILogger logger)
    {
        _fallbackDefault = fallbackDefault;
        _logger = logger;
    }

    /// <summary>Certificates built so far (tests assert reuse with it).</summary>
    public int CertificatesLoaded { get; private set; }

    public TlsConfiguration Build(GatehouseConfig config)
    {
        var nextByHash = new Dictionary<string, ServerCertificate>(StringComparer.Ordinal);
        var byName = new Dictionary<string, ServerCertificate>(StringComparer.Ordinal);
        foreach (var certificate in config.Certificates)
        {
            var hash = ServerCertificateLoader.Hash(certificate.CertificatePem, certificate.PrivateKeyPem);
            if (!_byHash.TryGetValue(hash, out var loaded) || loaded.Name != certificate.Name)
            {
                try
                {
                    loaded = ServerCertificateLoader.Load(certificate.Name, certificate.CertificatePem, certificate.PrivateKeyPem, hash);
                    CertificatesLoaded++;
                }
                catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    LogCertificateUnusable(_logger, certificate.Name, ex.Message);
                    continue;
                }
            }

            nextByHash[hash] = loaded;
            byName[certificate.Name] = loaded;
        }

        // Hosts of each certificate (from the tls entries), merged with the hosts' own lists.
        var hostCertificates = new Dictionary<string, List<ServerCertificate>>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in config.Certificates)
        {
            if (byName.TryGetValue(certificate.Name, out var loaded))
            {
                foreach (var host in certificate.Hosts)
                {
                    AddTo(hostCertificates, host, loaded);
                }
            }
        }

        var policies = new Dictionary<string, TlsPolicyConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in config.Hosts)
        {
            var names = !host.Certificates.IsDefaultOrEmpty ? host.Certificates
                : host.Certificate is { } single ? [single] : ImmutableArray<string>.Empty;
            foreach (var name in names)
            {
                if (byName.TryGetValue(name, out var loaded))
                {
                    AddTo(hostCertificates, host.Host, loaded);
                }
            }

            if (host.Tls is { } tls)
            {
                policies[host.Host] = tls;
            }
        }

        var defaultCertificate = config.DefaultCertificate is { } defaultName && byName.TryGetValue(defaultName, out var named)
            ? named
            : _fallbackDefault;
        var defaultSettings = Compile("", [defaultCertificate], policies.GetValueOrDefault(""));

        var exact = new Dictionary<string, TlsHostSettings>(StringComparer.OrdinalIgnoreCase);
        var wildcard = new Dictionary<string, TlsHostSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var (host, certificates) in hostCertificates)
        {
            if (host.Length == 0)
            {
                continue;
            }

            var settings = Compile(host, [.. certificates], policies.GetValueOrDefault(host));
            if (host.StartsWith("*.", StringComparison.Ordinal))
            {
                wildcard[host[2..]] = settings;
            }
            else
            {
                exact[host] = settings;
            }
        }

        // Certificates whose SAN holds a wildcard cover names no tls entry lists.
        var sanWildcard = new Dictionary<string, TlsHostSettings>(StringComparer.OrdinalIgnoreCase);
        var sanCertificates = new Dictionary<string, List<ServerCertificate>>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in byName.Values.Distinct())
        {
            foreach (var dns in certificate.DnsNames)
            {
                if (dns.StartsWith("*.", StringComparison.Ordinal))
                {
                    AddTo(sanCertificates, dns[2..], certificate);
                }
            }
        }

        foreach (var (suffix, certificates) in sanCertificates)
        {
            sanWildcard[suffix] = Compile("*." + suffix, [.. certificates], policies.GetValueOrDefault("*." + suffix));
        }

        _byHash = nextByHash;
        var all = byName.Values.Append(defaultCertificate).Distinct().ToImmutableArray();
        return new TlsConfiguration(exact, wildcard, sanWildcard, defaultSettings, all);
    }

    private static TlsHostSettings Compile(string host, ImmutableArray<ServerCertificate> certificates, TlsPolicyConfig? policy)
    {
        if (policy is null)
        {
            return new TlsHostSettings(host, certificates, SslProtocols.None, null, null);
        }

        return new TlsHostSettings(
            host,
            certificates,
            TlsProtocolNames.ParseProtocols(policy.Protocols),
            TlsProtocolNames.ParseCiphers(policy.Ciphers),
            policy.ClientAuth is { } auth && auth.Verify != ClientCertificateVerification.Off ? new ClientCertificateVerifier(auth) : null);
    }

    private static void AddTo(Dictionary<string, List<ServerCertificate>> map, string host, ServerCertificate certificate)
    {
        if (!map.TryGetValue(host, out var list))
        {
            map[host] = list = [];
        }

        if (!list.Contains(certificate))
        {
            list.Add(certificate);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Certificate {Name} cannot be used ({Reason}); its hosts get the default certificate")]
    private static partial void LogCertificateUnusable(ILogger logger, string name, string reason);
}
