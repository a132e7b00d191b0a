using Gatehouse.Model;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Routing.Canary;
using Microsoft.AspNetCore.Http;
using Route = Gatehouse.Proxy.Routing.Route;

namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// The request stage after routing: choose main or canary backend, then one of its endpoints by the
/// policy that backend's Ingress asked for (consistent hash when upstream-hash-by is set, else round robin).
/// </summary>
internal static class EndpointSelection
{
    /// <summary>The endpoint to forward to, or null when <paramref name="backend"/> has none (503).</summary>
    public static BackendEndpoint? Pick(HttpContext context, Route route, out Backend backend)
    {
        // 1. Affinity first (ingress-nginx order): a client pinned to the main backend stays there, and
        //    under affinity-canary-behavior: sticky one pinned to a canary stays on that canary.
        var affinity = route.Affinity;
        if (affinity is not null && affinity.TryGetCookie(context.Request, out var cookie))
        {
            if (affinity.Resolve(cookie, route.Backend) is { } pinned)
            {
                backend = route.Backend;
                return pinned;
            }

            if (affinity.CanaryInherits && route.Canaries is { } canaries)
            {
                foreach (var rule in canaries.Rules)
                {
                    if (affinity.Resolve(cookie, rule.Backend) is { } pinnedToCanary)
                    {
                        backend = rule.Backend;
                        return pinnedToCanary;
                    }
                }
            }
        }

        // 2. Canary rules (header, cookie, query, weight), then the chosen backend's balancer.
        var canary = CanaryRouting.SelectCanary(context, route);
        backend = canary?.Backend ?? route.Backend;
        var picked = Balance(context, route, canary, backend);

        var pinning = canary is null ? affinity : affinity is { CanaryInherits: true } ? affinity : canary.Affinity;
        return pinning is null ? picked : pinning.Pin(context, backend, picked);
    }

    private static BackendEndpoint? Balance(HttpContext context, Route route, CanaryRule? canary, Backend backend)
    {
        var hashKey = canary is null ? route.HashKey : canary.HashKey;
        if (hashKey is not null && backend.EndpointCount > 1)
        {
            return backend.EndpointForHash(hashKey.Compute(context));
        }

        var balancing = canary is null ? route.LoadBalance : canary.LoadBalance;
        return balancing == LoadBalancingPolicy.Ewma ? backend.EwmaEndpoint() : backend.NextEndpoint();
    }

    /// <summary>
    /// The endpoint for another attempt after a retryable failure (proxy-next-upstream): one of
    /// <paramref name="backend"/>'s endpoints not in <paramref name="tried"/>, or null when none is left.
    /// </summary>
    public static BackendEndpoint? PickRetry(Backend backend, ReadOnlySpan<BackendEndpoint> tried)
    {
        var endpoints = backend.Endpoints;
        var count = endpoints.Length;
        if (count == 0)
        {
            return null;
        }

        // Round-robin order from the cursor, preferring endpoints passive health has not ejected.
        var start = backend.NextEndpoint() is { } next ? endpoints.IndexOf(next) : 0;
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        BackendEndpoint? ejected = null;
        for (var i = 0; i < count; i++)
        {
            var candidate = endpoints[(start + i) % count];
            if (tried.Contains(candidate))
            {
                continue;
            }

            if (candidate.State.IsAvailable(now))
            {
                return candidate;
            }

            ejected ??= candidate;
        }

        return ejected;
    }
}
