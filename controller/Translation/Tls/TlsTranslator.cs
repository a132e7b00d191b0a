using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Model;
using Gatehouse.Tls;

namespace Gatehouse.Controller.Translation.Tls;

/// <summary>
/// The TLS part of translation, applied to the routing config once it is built: certificates from
/// the Ingresses' spec.tls Secrets (validated; a broken update keeps the last good one), the default
/// certificate, per-host ssl-protocols/ssl-ciphers/auth-tls-* and per-route ssl-redirect,
/// force-ssl-redirect and proxy-ssl-*. Server-level settings come from the oldest Ingress that sets
/// them for a host, as in ingress-nginx.
/// </summary>
internal sealed class TlsTranslator
{
    private const string IngressKind = "Ingress";
    private const string SecretKind = "Secret";

    private readonly ResourceSnapshot _snapshot;
    private readonly ControllerOptions _options;
    private readonly CertificateHistory _history;
    private readonly Action<Diagnostic> _report;

    // Certificates published, by Secret key, with the hosts they serve.
    private readonly SortedDictionary<string, (ValidatedCertificate Certificate, SortedSet<string> Hosts)> _certificates = new(StringComparer.Ordinal);

    // Outcome of each Secret looked up in this pass (null: unusable), so each is checked and reported once.
    private readonly Dictionary<string, ValidatedCertificate?> _loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _hostCertificates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TlsPolicyConfig> _hostPolicies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RouteTlsSettings> _routeSettings = new(StringComparer.Ordinal);

    public TlsTranslator(ResourceSnapshot snapshot, ControllerOptions options, CertificateHistory history, Action<Diagnostic> report)
    {
        _snapshot = snapshot;
        _options = options;
        _history = history;
        _report = report;
    }

    /// <param name="served">The served Ingresses, oldest first (the routing order).</param>
    public GatehouseConfig Apply(GatehouseConfig config, IReadOnlyList<Ingress> served)
    {
        foreach (var ingress in served)
        {
            AddIngress(ingress);
        }

        string? defaultCertificate = null;
        if (_options.DefaultSslCertificate is { } defaultName)
        {
            var (ns, name) = SplitReference(defaultName, ManifestParser.DefaultNamespace);
            if (Load(ns, name, null) is { } certificate)
            {
                defaultCertificate = ResourceSnapshot.Key(ns, name);
                Publish(defaultCertificate, certificate);
            }
        }

        var hosts = config.Hosts.Select(ApplyHostSettings).ToImmutableArray();

        var certificates = _certificates
            .Select(pair => new CertificateConfig
            {
                Name = pair.Key,
                CertificatePem = pair.Value.Certificate.CertificatePem,
                PrivateKeyPem = pair.Value.Certificate.PrivateKeyPem,
                Hosts = [.. pair.Value.Hosts],
            })
            .ToImmutableArray();

        return config with { Hosts = hosts, Certificates = certificates, DefaultCertificate = defaultCertificate };
    }

    private VirtualHostConfig ApplyHostSettings(VirtualHostConfig host)
    {
        var names = _hostCertificates.GetValueOrDefault(host.Host);
        var policy = _hostPolicies.GetValueOrDefault(host.Host);
        if (names is null && policy is null && host.Certificate is null && host.Certificates.IsDefaultOrEmpty && host.Tls is null
            && !host.Routes.Any(route => _routeSettings.ContainsKey(route.Ingress)))
        {
            // Most hosts of a large config have no TLS at all: keep the instance rather than copy it.
            return host;
        }

        return host with
        {
            Certificate = names?[0],
            Certificates = names is null ? [] : [.. names],
            Tls = policy,
            Routes = [.. host.Routes.Select(ApplyRouteSettings)],
        };
    }

    private RouteConfig ApplyRouteSettings(RouteConfig route)
        => _routeSettings.TryGetValue(route.Ingress, out var settings)
            ? route with { SslRedirect = settings.SslRedirect, ForceSslRedirect = settings.ForceSslRedirect, BackendTls = settings.BackendTls }
            : route;

    private void AddIngress(Ingress ingress)
    {
        var ns = ingress.Metadata.Namespace ?? ManifestParser.DefaultNamespace;
        var name = ingress.Metadata.Name ?? "";
        var annotations = new AnnotationReader(ingress.Metadata, _options.AnnotationsPrefix);
        // Only needed for a tls entry without hosts or a host-level policy: most Ingresses of a large
        // config have neither, and normalising every rule host again showed up at 100k Ingresses.
        List<string>? ruleHosts = null;
        List<string> RuleHosts()
        {
            if (ruleHosts is null)
            {
                ruleHosts = [];
                foreach (var rule in ingress.Spec?.Rules ?? [])
                {
                    if (HostName.TryNormalize(rule.Host, out var host, out _))
                    {
                        ruleHosts.Add(host);
                    }
                }
            }

            return ruleHosts;
        }

        var tlsHosts = new List<string>();
        var entries = ingress.Spec?.Tls ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var hosts = new List<string>();
            foreach (var raw in entry.Hosts ?? [])
            {
                if (HostName.TryNormalize(raw, out var host, out var error) && host.Length > 0)
                {
                    hosts.Add(host);
                }
                else
                {
                    Report(IngressKind, ns, name, DiagnosticCodes.InvalidHost, $"tls[{i}].hosts: {error ?? "empty host"}; host ignored");
                }
            }

            // A tls entry without hosts covers the Ingress's rule hosts.
            if (entry.Hosts is null || entry.Hosts.Count == 0)
            {
                hosts.AddRange(RuleHosts().Where(static h => h.Length > 0));
            }

            tlsHosts.AddRange(hosts);
            if (string.IsNullOrEmpty(entry.SecretName))
            {
                // ingress-nginx serves such hosts with the default certificate; so does the proxy.
                continue;
            }

            if (Load(ns, entry.SecretName, (ns, name)) is not { } certificate)
            {
                continue;
            }

            var key = ResourceSnapshot.Key(ns, entry.SecretName);
            Publish(key, certificate);
            foreach (var host in hosts)
            {
                ClaimHost(host, key, certificate, ns, name, i);
            }
        }

        var policy = ReadHostPolicy(annotations, ns, name);
        if (policy is not null)
        {
            foreach (var host in RuleHosts().Concat(tlsHosts))
            {
                _hostPolicies.TryAdd(host, policy);
            }
        }

        var route = ReadRouteSettings(annotations, ns, name);
        if (route != RouteTlsSettings.Default)
        {
            _routeSettings[ResourceSnapshot.Key(ns, name)] = route;
        }
    }

    private void ClaimHost(string host, string secretKey, ValidatedCertificate certificate, string ns, string name, int entry)
    {
        if (!_hostCertificates.TryGetValue(host, out var names))
        {
            _hostCertificates[host] = names = [];
        }

        if (names.Contains(secretKey))
        {
            _certificates[secretKey].Hosts.Add(host);
            return;
        }

        // One certificate per key type: an ECDSA and an RSA Secret for the same host make a dual
        // certificate; a second one of the same type loses to the older claim.
        foreach (var existing in names)
        {
            if (_certificates[existing].Certificate.KeyAlgorithm == certificate.KeyAlgorithm)
            {
                Report(IngressKind, ns, name, DiagnosticCodes.CertificateConflict,
                    $"tls[{entry}]: host '{host}' already has a certificate of the same key type ({existing}); Secret {secretKey} ignored for it");
                return;
            }
        }

        names.Add(secretKey);
        _certificates[secretKey].Hosts.Add(host);
    }

    private void Publish(string key, ValidatedCertificate certificate)
    {
        if (!_certificates.ContainsKey(key))
        {
            _certificates[key] = (certificate, new SortedSet<string>(StringComparer.Ordinal));
        }
    }

    /// <summary>Looks up and validates a TLS Secret; an invalid update falls back to its last good content.</summary>
    /// <param name="referrer">The Ingress naming the Secret, to report a missing one against; null for the default certificate.</param>
    private ValidatedCertificate? Load(string ns, string secretName, (string Namespace, string Name)? referrer)
    {
        var key = ResourceSnapshot.Key(ns, secretName);
        if (_loaded.TryGetValue(key, out var known))
        {
            return known;
        }

        ValidatedCertificate? result = null;
        if (!_snapshot.Secrets.TryGetValue(key, out var secret))
        {
            _history.Forget(key);
            var (kind, rns, rname) = referrer is { } r ? (IngressKind, r.Namespace, r.Name) : (SecretKind, ns, secretName);
            Report(kind, rns, rname, DiagnosticCodes.MissingSecret, $"TLS Secret {key} not found; its hosts get the default certificate");
        }
        else if (SecretCertificateValidator.TryValidate(secret, out var validated, out var error))
        {
            _history.Remember(key, validated!);
            result = validated;
            var now = _history.Time.GetUtcNow();
            if (validated!.NotAfter < now || validated.NotBefore > now)
            {
                var state = validated.NotAfter < now ? $"expired on {validated.NotAfter:O}" : $"not valid before {validated.NotBefore:O}";
                Report(SecretKind, ns, secretName, DiagnosticCodes.CertificateExpired, $"certificate {state}; published anyway");
            }
        }
        else
        {
            result = _history.LastGood(key);
            var keeping = result is null ? "its hosts get the default certificate" : "keeping its last good certificate";
            Report(SecretKind, ns, secretName, DiagnosticCodes.InvalidSecret, $"{error}; {keeping}");
        }

        _loaded[key] = result;
        return result;
    }

    private TlsPolicyConfig? ReadHostPolicy(AnnotationReader annotations, string ns, string name)
    {
        var protocols = ImmutableArray<string>.Empty;
        if (annotations.TryGetString(TlsAnnotationNames.SslProtocols, out var rawProtocols))
        {
            var builder = ImmutableArray.CreateBuilder<string>();
            foreach (var protocol in rawProtocols.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (protocol is "TLSv1.2" or "TLSv1.3")
                {
                    builder.Add(protocol);
                }
                else
                {
                    Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation,
                        $"annotation {annotations.FullName(TlsAnnotationNames.SslProtocols)}: '{protocol}' is not supported (TLSv1.2, TLSv1.3); ignored");
                }
            }

            protocols = builder.ToImmutable();
        }

        annotations.TryGetString(TlsAnnotationNames.SslCiphers, out var ciphers);
        if (!string.IsNullOrWhiteSpace(ciphers))
        {
            var unknown = OpenSslCipherNames.Split(ciphers).Where(c => !OpenSslCipherNames.TryGetCode(c, out _)).ToArray();
            if (unknown.Length > 0)
            {
                // nginx would refuse the whole string; ignoring the names it cannot map keeps the host
                // serving with the suites that are understood (or the defaults, when none is).
                Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation,
                    $"annotation {annotations.FullName(TlsAnnotationNames.SslCiphers)}: {string.Join(", ", unknown.Select(u => "'" + u + "'"))} "
                    + "not supported (explicit OpenSSL suite names only, see docs/annotations.md); ignored");
            }
        }

        var clientAuth = ReadClientAuth(annotations, ns, name);
        if (protocols.IsEmpty && string.IsNullOrEmpty(ciphers) && clientAuth is null)
        {
            return null;
        }

        return new TlsPolicyConfig { Protocols = protocols, Ciphers = string.IsNullOrEmpty(ciphers) ? null : ciphers, ClientAuth = clientAuth };
    }

    private ClientAuthConfig? ReadClientAuth(AnnotationReader annotations, string ns, string name)
    {
        if (!annotations.TryGetString(TlsAnnotationNames.AuthTlsSecret, out var reference) || reference.Length == 0)
        {
            return null;
        }

        var verify = ClientCertificateVerification.On;
        if (annotations.TryGetString(TlsAnnotationNames.AuthTlsVerifyClient, out var rawVerify))
        {
            switch (rawVerify.ToLowerInvariant())
            {
                case "on": verify = ClientCertificateVerification.On; break;
                case "off": verify = ClientCertificateVerification.Off; break;
                case "optional": verify = ClientCertificateVerification.Optional; break;
                case "optional_no_ca": verify = ClientCertificateVerification.OptionalNoCa; break;
                default:
                    Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation,
                        $"annotation {annotations.FullName(TlsAnnotationNames.AuthTlsVerifyClient)}: '{rawVerify}' is not on, off, optional or optional_no_ca; using on");
                    break;
            }
        }

        var depth = 1;
        var pass = false;
        try
        {
            depth = annotations.GetInt32(TlsAnnotationNames.AuthTlsVerifyDepth) ?? 1;
            if (depth < 1)
            {
                throw new FormatException($"annotation {annotations.FullName(TlsAnnotationNames.AuthTlsVerifyDepth)}: must be at least 1");
            }
        }
        catch (FormatException ex)
        {
            depth = 1;
            Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation, ex.Message + "; using 1");
        }

        try
        {
            pass = annotations.GetBoolean(TlsAnnotationNames.AuthTlsPassCertificateToUpstream) ?? false;
        }
        catch (FormatException ex)
        {
            Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation, ex.Message + "; using false");
        }

        var (secretNs, secretName) = SplitReference(reference, ns);
        var key = ResourceSnapshot.Key(secretNs, secretName);
        if (!_snapshot.Secrets.TryGetValue(key, out var secret))
        {
            // Fail closed: without the CA nothing can be verified, so "on" rejects every client.
            Report(IngressKind, ns, name, DiagnosticCodes.MissingSecret, $"annotation {annotations.FullName(TlsAnnotationNames.AuthTlsSecret)}: Secret {key} not found; client certificates cannot be verified");
            return new ClientAuthConfig { CaPem = "", Verify = verify, Depth = depth, PassCertificateToUpstream = pass, ErrorPage = ErrorPage(annotations) };
        }

        if (!SecretCertificateValidator.TryReadCaBundle(secret, out var caPem, out var error))
        {
            Report(SecretKind, secretNs, secretName, DiagnosticCodes.InvalidSecret, $"{error}; client certificates cannot be verified");
        }

        return new ClientAuthConfig { CaPem = caPem ?? "", Verify = verify, Depth = depth, PassCertificateToUpstream = pass, ErrorPage = ErrorPage(annotations) };
    }

    private static string? ErrorPage(AnnotationReader annotations)
        => annotations.TryGetString(TlsAnnotationNames.AuthTlsErrorPage, out var page) && page.Length > 0 ? page : null;

    private RouteTlsSettings ReadRouteSettings(AnnotationReader annotations, string ns, string name)
    {
        var settings = RouteTlsSettings.Default;
        try
        {
            settings = settings with
            {
                SslRedirect = annotations.GetBoolean(TlsAnnotationNames.SslRedirect) ?? true,
                ForceSslRedirect = annotations.GetBoolean(TlsAnnotationNames.ForceSslRedirect) ?? false,
            };
        }
        catch (FormatException ex)
        {
            Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation, ex.Message + "; using the default");
        }

        return settings with { BackendTls = ReadBackendTls(annotations, ns, name) };
    }

    private BackendTlsConfig? ReadBackendTls(AnnotationReader annotations, string ns, string name)
    {
        var hasSecret = annotations.TryGetString(TlsAnnotationNames.ProxySslSecret, out var reference) && reference.Length > 0;
        var hasVerify = annotations.TryGetString(TlsAnnotationNames.ProxySslVerify, out var verify);
        var hasName = annotations.TryGetString(TlsAnnotationNames.ProxySslName, out var sslName);
        var hasServerName = annotations.TryGetString(TlsAnnotationNames.ProxySslServerName, out var serverName);
        if (!hasSecret && !hasVerify && !hasName && !hasServerName)
        {
            return null;
        }

        string? clientCertificate = null;
        string? trustedCa = null;
        if (hasSecret)
        {
            var (secretNs, secretName) = SplitReference(reference!, ns);
            var key = ResourceSnapshot.Key(secretNs, secretName);
            if (!_snapshot.Secrets.TryGetValue(key, out var secret))
            {
                Report(IngressKind, ns, name, DiagnosticCodes.MissingSecret, $"annotation {annotations.FullName(TlsAnnotationNames.ProxySslSecret)}: Secret {key} not found");
            }
            else
            {
                if (SecretCertificateValidator.Has(secret, SecretCertificateValidator.CertificateKey) && Load(secretNs, secretName, (ns, name)) is { } certificate)
                {
                    Publish(key, certificate);
                    clientCertificate = key;
                }

                if (SecretCertificateValidator.Has(secret, SecretCertificateValidator.CaKey))
                {
                    if (SecretCertificateValidator.TryReadCaBundle(secret, out var ca, out var error))
                    {
                        trustedCa = ca;
                    }
                    else
                    {
                        Report(SecretKind, secretNs, secretName, DiagnosticCodes.InvalidSecret, error!);
                    }
                }
            }
        }

        return new BackendTlsConfig
        {
            ClientCertificate = clientCertificate,
            TrustedCaPem = trustedCa,
            Verify = OnOff(annotations, TlsAnnotationNames.ProxySslVerify, verify, ns, name),
            Name = hasName && sslName!.Length > 0 ? sslName : null,
            SendServerName = OnOff(annotations, TlsAnnotationNames.ProxySslServerName, serverName, ns, name),
        };
    }

    private bool OnOff(AnnotationReader annotations, string annotation, string? value, string ns, string name)
    {
        switch (value?.ToLowerInvariant())
        {
            case null or "" or "off": return false;
            case "on": return true;
            default:
                Report(IngressKind, ns, name, DiagnosticCodes.InvalidAnnotation, $"annotation {annotations.FullName(annotation)}: '{value}' is not on or off; using off");
                return false;
        }
    }

    /// <summary>"namespace/name", or "name" in <paramref name="defaultNamespace"/>.</summary>
    private static (string Namespace, string Name) SplitReference(string reference, string defaultNamespace)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? (reference[..slash], reference[(slash + 1)..]) : (defaultNamespace, reference);
    }

    private void Report(string kind, string ns, string name, string code, string reason)
        => _report(new Diagnostic(kind, ns, name, reason, code));

    private sealed record RouteTlsSettings(bool SslRedirect, bool ForceSslRedirect, BackendTlsConfig? BackendTls)
    {
        public static RouteTlsSettings Default { get; } = new(true, false, null);
    }
}
