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
    /// <param name="cache">Plans of unchanged Ingresses from earlier passes, kept by the caller; null: plan every Ingress.</param>
    public static TranslationResult Translate(ResourceSnapshot snapshot, ControllerOptions options, CertificateHistory? certificates = null, TranslationCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        return new Builder(snapshot, options, certificates ?? new CertificateHistory(), cache).Build();
    }

    private sealed partial class Builder(ResourceSnapshot snapshot, ControllerOptions options, CertificateHistory certificates, TranslationCache? cache)
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

        // Routes the Ingress being replayed claimed (for enable-access-log: "false").
        private readonly List<(string Host, string Path, PathMatch Match)> _claimed = [];

        public TranslationResult Build()
        {
            var served = ServedOldestFirst();
            var plans = new IngressPlan[served.Count];
            cache?.Begin(options);
            for (var i = 0; i < served.Count; i++)
            {
                plans[i] = cache is null ? IngressPlanner.Plan(served[i], options) : cache.GetOrAdd(served[i], Plan);
            }

            cache?.End();

            // Canaries attach to routes that main Ingresses claim, so every main Ingress goes first.
            foreach (var plan in plans)
            {
                if (!plan.IsCanary)
                {
                    Replay(plan);
                }
            }

            foreach (var plan in plans)
            {
                if (plan.IsCanary)
                {
                    Replay(plan);
                }
            }

            var config = new GatehouseConfig
            {
                Hosts = GroupByHost(),
                Backends = [.. _backends.Values],
                DefaultBackend = _defaultBackend,
            };
            config = new TlsTranslator(snapshot, options, certificates, _diagnostics.Add).Apply(config, served);
            return new TranslationResult(config, _diagnostics);
        }

        private IngressPlan Plan(Ingress ingress) => IngressPlanner.Plan(ingress, options);

        /// <summary>
        /// Oldest first, so every "first claim wins" rule means "oldest Ingress wins". Objects without
        /// creationTimestamp (typical for hand-written manifests) count as newest, then namespace/name
        /// (ordinal) decides: a stable order that does not depend on input order.
        /// </summary>
        private List<Ingress> ServedOldestFirst()
        {
            var filter = new IngressClassFilter(snapshot, options);

            // The snapshot iterates in key order, so sorting by (timestamp, position) is the
            // (timestamp, key) order without comparing strings.
            var order = new List<(long Ticks, int Position, Ingress Ingress)>(snapshot.Ingresses.Count);
            foreach (var (_, ingress) in snapshot.Ingresses)
            {
                if (filter.IsServed(ingress))
                {
                    var created = ingress.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue;
                    order.Add((created.UtcTicks, order.Count, ingress));
                }
            }

            order.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position));
            var served = new List<Ingress>(order.Count);
            foreach (var entry in order)
            {
                served.Add(entry.Ingress);
            }

            return served;
        }

        private ImmutableArray<VirtualHostConfig> GroupByHost()
        {
            var byHost = new Dictionary<string, List<RouteConfig>>(StringComparer.Ordinal);
            foreach (var ((host, _, _), route) in _routes)
            {
                if (!byHost.TryGetValue(host, out var routes))
                {
                    byHost[host] = routes = [];
                }

                routes.Add(route);
            }

            var names = byHost.Keys.ToArray();
            Array.Sort(names, StringComparer.Ordinal);
            var hosts = ImmutableArray.CreateBuilder<VirtualHostConfig>(names.Length);
            foreach (var name in names)
            {
                var routes = byHost[name];
                routes.Sort(RouteOrder.Instance);
                hosts.Add(new VirtualHostConfig { Host = name, Routes = [.. routes] });
            }

            return hosts.MoveToImmutable();
        }

        private void Replay(IngressPlan plan)
        {
            _canary = plan.IsCanary ? plan.Canary : null;
            _upstream = plan.Upstream;
            _claimed.Clear();
            foreach (var step in plan.Steps)
            {
                switch (step)
                {
                    case IngressPlanStep.Reject reject:
                        Reject(plan.Namespace, plan.Name, reject.Code, reject.Reason);
                        break;
                    case IngressPlanStep.Route route:
                        AddRoute(route.Host, route.Path, route.Match, route.Backend, plan.Key, plan.Namespace, plan.Name, route.Where);
                        break;
                    case IngressPlanStep.DefaultBackend defaultBackend when _defaultBackend is null && _canary is null:
                        _defaultBackend = UseBackend(defaultBackend.Backend, plan.Key, plan.Namespace, plan.Name);
                        break;
                    case IngressPlanStep.AccessLogOff:
                        // After the Ingress's paths, so it covers every route they claimed (and none an older Ingress owns).
                        foreach (var key in _claimed)
                        {
                            _routes[key] = _routes[key] with { AccessLog = false };
                        }

                        break;
                }
            }

            _canary = null;
            _upstream = null;
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
            _claimed.Add(key);
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

        private static string DisplayHost(string host) => host.Length == 0 ? "*" : host;

        private void Reject(string ns, string name, string code, string reason)
            => _diagnostics.Add(new Diagnostic(IngressKind, ns, name, reason, code));
    }
}
