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
    }
}
