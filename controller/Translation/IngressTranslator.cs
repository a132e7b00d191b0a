using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation.Tls;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// Pure translation of Kubernetes objects into the proxy's <see cref="GatehouseConfig"/>. No I/O, no
/// clock, no randomness: equal snapshots give equal configs (every collection is sorted), which is what
/// lets the publisher skip publishing when nothing changed.
/// </summary>
public static partial class IngressTranslator
{
    /// <param name="certificates">Last good certificate per Secret, kept by the caller across translations; null: a fresh one.</param>
    public static TranslationResult Translate(ResourceSnapshot snapshot, ControllerOptions options, CertificateHistory? certificates = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        return new Builder(snapshot, options, certificates ?? new CertificateHistory()).Build();
    }

    private sealed partial class Builder(ResourceSnapshot snapshot, ControllerOptions options, CertificateHistory certificates)
    {
        private const string IngressKind = "Ingress";

        private readonly BackendResolver _resolver = new(snapshot);
        private readonly List<Diagnostic> _diagnostics = [];

        // (host, path, match) → route; the first (oldest Ingress) claim wins.
        private readonly Dictionary<(string Host, string Path, PathMatch Match), RouteConfig> _routes = [];

        // Backends actually referenced by a route or the default backend, by name.
        private readonly SortedDictionary<string, BackendConfig> _backends = new(StringComparer.Ordinal);

        // Which Ingress first used a backend name, to report protocol disagreements against it.
        private readonly Dictionary<string, (string Ingress, BackendProtocol Protocol)> _backendOwners = new(StringComparer.Ordinal);
        private readonly HashSet<(string Ingress, string Backend)> _reportedBackendProblems = [];
        private string? _defaultBackend;

        public TranslationResult Build()
        {
            var filter = new IngressClassFilter(snapshot, options);

            // Oldest first, so every "first claim wins" rule below means "oldest Ingress wins".
            // Objects without creationTimestamp (typical for hand-written manifests) count as newest,
            // then namespace/name (ordinal) decides: a stable order that does not depend on input order.
            var served = snapshot.Ingresses
                .Where(pair => filter.IsServed(pair.Value))
                .OrderBy(pair => pair.Value.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
                .ThenBy(pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => pair.Value)
                .ToList();

            // Canaries attach to routes that main Ingresses claim, so every main Ingress goes first.
            var (mains, canaries) = PartitionCanaries(served);
            foreach (var ingress in mains)
            {
                AddIngress(ingress);
            }

            foreach (var ingress in canaries)
            {
                AddCanaryIngress(ingress);
            }

            var hosts = _routes
                .GroupBy(pair => pair.Key.Host, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new VirtualHostConfig
                {
                    Host = g.Key,
                    Routes = [.. g.Select(pair => pair.Value).Order(RouteOrder.Instance)],
                })
                .ToImmutableArray();

            var config = new GatehouseConfig
            {
                Hosts = hosts,
                Backends = [.. _backends.Values],
                DefaultBackend = _defaultBackend,
            };
            config = new TlsTranslator(snapshot, options, certificates, _diagnostics.Add).Apply(config, served);
            return new TranslationResult(config, _diagnostics);
        }

        private void AddIngress(Ingress ingress)
        {
            var ns = ingress.Metadata.Namespace ?? ManifestParser.DefaultNamespace;
            var name = ingress.Metadata.Name ?? "";
            var ingressKey = $"{ns}/{name}";
            var spec = ingress.Spec;
            if (spec is null)
            {
                Reject(ns, name, DiagnosticCodes.MissingSpec, "spec is missing");
                return;
            }

            var protocol = ReadProtocol(ingress, ns, name);
            _upstream = _canary is null ? ReadUpstream(ingress, ns, name) : null;

            BackendReference? defaultBackend = null;
            if (spec.DefaultBackend is { } specDefault)
            {
                defaultBackend = ValidateBackend(specDefault, ns, name, "spec.defaultBackend", protocol);
                if (defaultBackend is not null && _defaultBackend is null && _canary is null)
                {
                    _defaultBackend = UseBackend(defaultBackend, ingressKey, ns, name);
                }
            }

            var rules = spec.Rules ?? [];
            for (var i = 0; i < rules.Count; i++)
            {
                var rule = rules[i];
                if (!HostName.TryNormalize(rule.Host, out var host, out var hostError))
                {
                    Reject(ns, name, DiagnosticCodes.InvalidHost, $"rules[{i}]: {hostError}; rule ignored");
                    continue;
                }

                if (rule.Http is null)
                {
                    // A host-only rule sends everything for that host to the Ingress's default backend.
                    if (defaultBackend is not null)
                    {
                        AddRoute(host, "/", PathMatch.Prefix, defaultBackend, ingressKey, ns, name, $"rules[{i}]");
                    }

                    continue;
                }

                var paths = rule.Http.Paths ?? [];
                if (paths.Count == 0)
                {
                    Reject(ns, name, DiagnosticCodes.EmptyPaths, $"rules[{i}].http.paths is empty; rule ignored");
                    continue;
                }

                for (var j = 0; j < paths.Count; j++)
                {
                    AddPath(host, paths[j], ingressKey, ns, name, $"rules[{i}].http.paths[{j}]", protocol);
                }
            }

            if (!ReadAccessLog(ingress, ns, name))
            {
                DisableAccessLog(ingressKey);
            }
        }

        /// <summary>enable-access-log: "false" silences this Ingress's routes; anything but true/false is reported and ignored.</summary>
        private bool ReadAccessLog(Ingress ingress, string ns, string name)
        {
            var annotations = new AnnotationReader(ingress.Metadata, options.AnnotationsPrefix);
            try
            {
                return annotations.GetBoolean(Annotations.EnableAccessLog) ?? true;
            }
            catch (FormatException ex)
            {
                Reject(ns, name, DiagnosticCodes.InvalidAnnotation, ex.Message + "; access log stays on");
                return true;
            }
        }

        private void DisableAccessLog(string ingressKey)
        {
            // Applied after the Ingress's paths are added, so it covers every route they produced
            // (and none that an older Ingress owns).
            foreach (var key in _routes.Where(pair => pair.Value.Ingress == ingressKey).Select(pair => pair.Key).ToList())
            {
                _routes[key] = _routes[key] with { AccessLog = false };
            }
        }

        private void AddPath(string host, HttpIngressPath path, string ingressKey, string ns, string name, string where, BackendProtocol protocol)
        {
            PathMatch match;
            switch (path.PathType)
            {
                case "Exact": match = PathMatch.Exact; break;
                case "Prefix": match = PathMatch.Prefix; break;
                case "ImplementationSpecific": match = PathMatch.ImplementationSpecific; break;
                case null or "":
                    Reject(ns, name, DiagnosticCodes.InvalidPathType, $"{where}: pathType is required (Exact, Prefix or ImplementationSpecific); path ignored");
                    return;
                default:
                    Reject(ns, name, DiagnosticCodes.InvalidPathType, $"{where}: pathType '{path.PathType}' is not Exact, Prefix or ImplementationSpecific; path ignored");
                    return;
            }

            var value = path.Path;
            if (string.IsNullOrEmpty(value) && match == PathMatch.ImplementationSpecific)
            {
                // The API allows omitting the path for ImplementationSpecific; it then matches everything.
                value = "/";
            }

            if (string.IsNullOrEmpty(value) || value[0] != '/')
            {
                Reject(ns, name, DiagnosticCodes.InvalidPath, $"{where}: path '{value}' must start with '/'; path ignored");
                return;
            }

            if (match == PathMatch.Prefix)
            {
                // Prefix matching is element-wise, so "/foo/" and "/foo" are the same route.
                value = value.TrimEnd('/');
                if (value.Length == 0)
                {
                    value = "/";
                }
            }

            if (ValidateBackend(path.Backend, ns, name, $"{where}.backend", protocol) is { } backend)
            {
                AddRoute(host, value, match, backend, ingressKey, ns, name, where);
            }
        }

        private void AddRoute(string host, string path, PathMatch match, BackendReference backend, string ingressKey, string ns, string name, string where)
        {
            var key = (host, path, match);
            if (_canary is not null)
            {
                AttachCanary(key, backend, ingressKey, ns, name, where);
                return;
            }

            if (_routes.TryGetValue(key, out var existing))
            {
                var owner = existing.Ingress == ingressKey ? "an earlier path of the same Ingress" : $"older Ingress {existing.Ingress}";
                Reject(ns, name, DiagnosticCodes.PathConflict, $"{where}: {match} path '{path}' on host '{DisplayHost(host)}' is already served by {owner}; path ignored");
                return;
            }

            var route = new RouteConfig
            {
                Path = path,
                Match = match,
                Backend = UseBackend(backend, ingressKey, ns, name),
                Ingress = ingressKey,
                Upstream = _upstream,
            };
            _routes[key] = route;
        }

        /// <summary>Registers a referenced backend, reporting (once per Ingress) why it has no endpoints.</summary>
        private string UseBackend(BackendReference reference, string ingressKey, string ns, string name)
        {
            if (_backendOwners.TryGetValue(reference.Name, out var owner))
            {
                // A backend is shared by name; the protocol of its oldest user sticks.
                if (owner.Protocol != reference.Protocol && _reportedBackendProblems.Add((ingressKey, reference.Name + "#protocol")))
                {
                    Reject(ns, name, DiagnosticCodes.BackendProtocolConflict, $"backend {reference.Name} is already used with protocol {owner.Protocol} by {owner.Ingress}; "
                        + $"ignoring backend-protocol {reference.Protocol} for it");
                }
            }
            else
            {
                _backendOwners[reference.Name] = (ingressKey, reference.Protocol);
            }

            var (backend, problem) = _resolver.Resolve(reference with { Protocol = _backendOwners[reference.Name].Protocol });
            _backends[backend.Name] = backend;
            if (problem is not null && _reportedBackendProblems.Add((ingressKey, reference.Name)))
            {
                Reject(ns, name, DiagnosticCodes.BackendUnresolved, problem);
            }

            return backend.Name;
        }

        private BackendReference? ValidateBackend(IngressBackend? backend, string ns, string name, string where, BackendProtocol protocol)
        {
            if (backend is null)
            {
                Reject(ns, name, DiagnosticCodes.MissingBackend, $"{where}: backend is required; path ignored");
                return null;
            }

            if (backend.Resource is not null)
            {
                Reject(ns, name, DiagnosticCodes.UnsupportedBackend, $"{where}: resource backends are not supported; ignored");
                return null;
            }

            if (backend.Service is not { Name: { Length: > 0 } service } serviceBackend)
            {
                Reject(ns, name, DiagnosticCodes.InvalidServiceBackend, $"{where}: service.name is required; ignored");
                return null;
            }

            var port = serviceBackend.Port;
            var hasNumber = port?.Number is not null;
            var hasName = !string.IsNullOrEmpty(port?.Name);
            if (hasNumber == hasName)
            {
                Reject(ns, name, DiagnosticCodes.InvalidServiceBackend, $"{where}: service.port needs exactly one of number or name; ignored");
                return null;
            }

            if (port!.Number is { } number && number is < 1 or > 65535)
            {
                Reject(ns, name, DiagnosticCodes.InvalidServiceBackend, $"{where}: service.port.number {number} is out of range; ignored");
                return null;
            }

            return new BackendReference(ns, service, port.Number, hasName ? port.Name : null, protocol);
        }

        private BackendProtocol ReadProtocol(Ingress ingress, string ns, string name)
        {
            var annotations = new AnnotationReader(ingress.Metadata, options.AnnotationsPrefix);
            if (!annotations.TryGetString(Annotations.BackendProtocol, out var value))
            {
                return BackendProtocol.Http;
            }

            switch (value?.Trim().ToUpperInvariant())
            {
                case "HTTP": return BackendProtocol.Http;
                case "HTTPS": return BackendProtocol.Https;
                case "GRPC": return BackendProtocol.Grpc;
                case "GRPCS": return BackendProtocol.Grpcs;
                default:
                    Reject(ns, name, DiagnosticCodes.InvalidAnnotation, $"annotation {annotations.FullName(Annotations.BackendProtocol)}: '{value}' is not HTTP, HTTPS, GRPC or GRPCS; using HTTP");
                    return BackendProtocol.Http;
            }
        }

        private static string DisplayHost(string host) => host.Length == 0 ? "*" : host;

        private void Reject(string ns, string name, string code, string reason)
            => _diagnostics.Add(new Diagnostic(IngressKind, ns, name, reason, code));
    }
}
