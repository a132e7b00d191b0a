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
        var canary = CanaryRouting.SelectCanary(context, route);
        backend = canary?.Backend ?? route.Backend;
        var hashKey = canary is null ? route.HashKey : canary.HashKey;
        return hashKey is null || backend.EndpointCount < 2
            ? backend.NextEndpoint()
            : backend.EndpointForHash(hashKey.Compute(context));
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

        var start = backend.NextEndpoint() is { } next ? endpoints.IndexOf(next) : 0;
        for (var i = 0; i < count; i++)
        {
            var candidate = endpoints[(start + i) % count];
            if (!tried.Contains(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
