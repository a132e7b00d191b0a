using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>The request stage between route matching and balancing: main backend or canary.</summary>
internal static class CanaryRouting
{
    /// <summary>The canary taking this request, or null for the main backend; runs the canary's actions when a header, cookie or query rule chose it.</summary>
    public static CanaryRule? SelectCanary(HttpContext context, Route route)
    {
        if (route.Canaries is not { } selector)
        {
            return null;
        }

        var canary = selector.Select(context.Request, out var byRule);
        if (canary is not null && byRule && canary.Actions is { } actions)
        {
            actions.Apply(context);
        }

        return canary;
    }
}
