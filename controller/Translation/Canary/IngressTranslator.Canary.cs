using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation.Canary;
using Gatehouse.Controller.Translation.Upstream;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

// Canary Ingresses and upstream policies: kept apart from the main translation so the rules that
// decide who serves a route stay readable on their own.
public static partial class IngressTranslator
{
    private sealed partial class Builder
    {
        // Set while a canary Ingress is being added: its paths attach to main routes instead of claiming them.
        private CanaryConfig? _canary;

        // The upstream policy of the main Ingress being added.
        private UpstreamPolicyConfig? _upstream;

        private (List<Ingress> Mains, List<Ingress> Canaries) PartitionCanaries(IEnumerable<Ingress> served)
        {
            var mains = new List<Ingress>();
            var canaries = new List<Ingress>();
            foreach (var ingress in served)
            {
                // Anything but an explicit "false" counts: an unparsable "canary" must not claim routes.
                var reader = new AnnotationReader(ingress.Metadata, options.AnnotationsPrefix);
                var marked = reader.TryGetString(CanaryAnnotations.Canary, out var value)
                    && !value.Equals("false", StringComparison.OrdinalIgnoreCase);
                (marked ? canaries : mains).Add(ingress);
            }

            return (mains, canaries);
        }

        private void AddCanaryIngress(Ingress ingress)
        {
            var ns = ingress.Metadata.Namespace ?? ManifestParser.DefaultNamespace;
            var name = ingress.Metadata.Name ?? "";
            var annotations = new AnnotationReader(ingress.Metadata, options.AnnotationsPrefix);
            var problems = new List<string>();
            var canary = CanaryReader.Read(annotations, problems, out var error);
            foreach (var problem in problems)
            {
                Reject(ns, name, DiagnosticCodes.InvalidAnnotation, problem);
            }

            if (canary is null)
            {
                Reject(ns, name, DiagnosticCodes.InvalidCanary, $"{error ?? "invalid canary"}; canary not served (main routes keep serving)");
                return;
            }

            _canary = canary with { Ingress = $"{ns}/{name}" };
            try
            {
                AddIngress(ingress);
            }
            finally
            {
                _canary = null;
            }
        }

        private void AttachCanary((string Host, string Path, PathMatch Match) key, BackendReference backend, string ingressKey, string ns, string name, string where)
        {
            var canary = _canary!;
            var display = $"{key.Match} path '{key.Path}' on host '{DisplayHost(key.Host)}'";
            if (!_routes.TryGetValue(key, out var main))
            {
                Reject(ns, name, DiagnosticCodes.CanaryWithoutMain, $"{where}: no main Ingress serves {display}; canary not served");
                return;
            }

            if (main.Canaries.Any(c => c.Ingress == ingressKey))
            {
                Reject(ns, name, DiagnosticCodes.PathConflict, $"{where}: {display} already has this canary; path ignored");
                return;
            }

            if (main.Canaries.Length >= options.MaxCanariesPerPath)
            {
                Reject(ns, name, DiagnosticCodes.CanaryLimit, $"{where}: {display} already has {main.Canaries.Length} canaries (--max-canaries-per-path); canary not served");
                return;
            }

            if (canary.Weight > 0)
            {
                // All weight canaries of a path draw from one number, so they must agree on its range.
                var weighted = main.Canaries.Where(c => c.Weight > 0).ToList();
                if (weighted.Count != 0 && weighted[0].WeightTotal != canary.WeightTotal)
                {
                    Reject(ns, name, DiagnosticCodes.InvalidCanary, $"{where}: canary-weight-total {canary.WeightTotal} differs from {weighted[0].WeightTotal} of canary {weighted[0].Ingress} on {display}; canary not served");
                    return;
                }

                var sum = weighted.Sum(c => c.Weight) + canary.Weight;
                if (sum > canary.WeightTotal)
                {
                    Reject(ns, name, DiagnosticCodes.InvalidCanary, $"{where}: canary weights on {display} would add up to {sum}, above canary-weight-total {canary.WeightTotal}; canary not served");
                    return;
                }
            }

            var attached = canary with { Backend = UseBackend(backend, ingressKey, ns, name) };
            _routes[key] = main with { Canaries = main.Canaries.Add(attached) };
        }

        private UpstreamPolicyConfig? ReadUpstream(Ingress ingress, string ns, string name)
        {
            var problems = new List<string>();
            var policy = UpstreamPolicyReader.Read(new AnnotationReader(ingress.Metadata, options.AnnotationsPrefix), balancingOnly: false, problems);
            foreach (var problem in problems)
            {
                Reject(ns, name, DiagnosticCodes.InvalidAnnotation, problem);
            }

            return policy;
        }
    }
}
