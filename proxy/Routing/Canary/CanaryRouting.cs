using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>The request stage between route matching and balancing: main backend or canary.</summary>
internal static class CanaryRouting
{
    /// <summary>The backend for this request; runs the chosen canary's actions when a header, cookie or query rule chose it.</summary>
    public static Backend SelectBackend(HttpContext context, Route route)
    {
        if (route.Canaries is not { } selector)
        {
            return route.Backend;
        }

        var canary = selector.Select(context.Request, out var byRule);
        if (canary is null)
        {
            return route.Backend;
        }

        if (byRule && canary.Actions is { } actions)
        {
            actions.Apply(context);
        }

        return canary.Backend;
    }
}
