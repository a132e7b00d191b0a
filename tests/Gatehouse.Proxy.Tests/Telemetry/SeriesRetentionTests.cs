using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Telemetry;

/// <summary>
/// After a swap, the series of every route the new table still has survive (exact, wildcard and
/// catch-all hosts, canaries, the default backend) and only the series of routes that left go.
/// </summary>
public sealed class SeriesRetentionTests
{
    private static readonly BackendConfig Shop = Backend("shop/web:80", new EndpointConfig("10.0.0.1", 80)) with { Namespace = "shop", Service = "web" };
    private static readonly BackendConfig Beta = Backend("shop/beta:80", new EndpointConfig("10.0.0.2", 80)) with { Namespace = "shop", Service = "beta" };
    private static readonly BackendConfig Fallback = Backend("ops/default:80", new EndpointConfig("10.0.0.3", 80)) with { Namespace = "ops", Service = "default" };

    private static GatehouseConfig Config(bool withApi, bool withCanary, string ingressOfWildcard, long generation) => Of(
        [
            Host("", Prefix("/", Shop.Name) with { Ingress = "shop/catch-all" }),
            Host("*.tenants.test", Prefix("/", Shop.Name) with { Ingress = ingressOfWildcard }),
            Host("shop.test", [
                Prefix("/", Shop.Name) with
                {
                    Ingress = "shop/main",
                    Canaries = withCanary ? [new CanaryConfig { Backend = Beta.Name, Ingress = "shop/main-canary", Header = "x-beta" }] : [],
                },
                .. withApi ? [Exact("/api", Shop.Name) with { Ingress = "shop/api" }] : Array.Empty<RouteConfig>()]),
        ],
        [Shop, Beta, Fallback],
        defaultBackend: Fallback.Name,
        generation: generation);

    [Fact]
    public void Series_of_routes_still_served_survive_a_swap_and_only_the_others_go()
    {
        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var registry = new SeriesRegistry();
        var first = state.Apply(Config(withApi: true, withCanary: true, ingressOfWildcard: "shop/tenants", generation: 1));
        foreach (var route in AllRoutes(first))
        {
            registry.Attach(route);
            if (route.Canaries is not null)
            {
                registry.AttachCanary(route, first.Backends[Beta.Name]);
            }
        }

        var before = Describe(registry);
        Assert.Equal(7, before.Count); // unrouted, catch-all, wildcard, shop main, its canary, api, default backend

        // The same config again (a new generation, new compiled routes): nothing is dropped.
        var same = state.Apply(Config(withApi: true, withCanary: true, ingressOfWildcard: "shop/tenants", generation: 2));
        registry.Retain(same);
        Assert.Equal(before, Describe(registry));

        // The api route and the canary leave; the wildcard host is now served by another Ingress.
        var smaller = state.Apply(Config(withApi: false, withCanary: false, ingressOfWildcard: "shop/other", generation: 3));
        registry.Retain(smaller);
        var after = Describe(registry);
        Assert.Equal(
            before.Where(s => !s.Contains("api", StringComparison.Ordinal) && !s.Contains("canary", StringComparison.Ordinal) && !s.Contains("tenants shop/tenants", StringComparison.Ordinal)),
            after);
        Assert.Contains("_other ops/ default", after);
        Assert.Contains(registry.Hosts, h => h.Host == "shop.test");
    }

    private static IEnumerable<Route> AllRoutes(RouteTable table)
    {
        foreach (var label in new[] { "_other", "*.tenants.test", "shop.test" })
        {
            foreach (var route in table.FindLabelledHost(label, SeriesLabels.OtherHost)!.Routes)
            {
                yield return route;
            }
        }

        yield return table.DefaultRoute!;
    }

    private static List<string> Describe(SeriesRegistry registry) =>
        [.. registry.Series
            .Select(s => $"{s.Labels.Host.Replace(".test", "", StringComparison.Ordinal).Replace("*.", "", StringComparison.Ordinal)} {s.Labels.Namespace}/{s.Labels.Ingress} {s.Labels.Service}{(s.Labels.Canary ? " canary" : "")}")
            .Order(StringComparer.Ordinal)];
}
