using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Telemetry;

/// <summary>
/// Past <see cref="SeriesRegistry.MaxSeries"/> a route records on the shared overflow series; once
/// hosts leave and their series go, a route that was kept across the swap (an unchanged host's
/// compiled routes are reused) gets a series of its own instead of staying on the overflow.
/// </summary>
public sealed class SeriesOverflowTests
{
    private static readonly BackendConfig Web = Backend("shop/web:80", new EndpointConfig("10.0.0.1", 80)) with { Namespace = "shop", Service = "web" };
    private static readonly BackendConfig Beta = Backend("shop/beta:80", new EndpointConfig("10.0.0.2", 80)) with { Namespace = "shop", Service = "beta" };

    [Fact]
    public void A_kept_route_leaves_the_overflow_series_once_series_are_released()
    {
        // One series is the unrouted one: MaxSeries - 1 hosts fill the registry.
        var filling = Enumerable.Range(0, SeriesRegistry.MaxSeries - 1)
            .Select(i => Host($"host-{i}.test", Prefix("/", Web.Name) with { Ingress = $"shop/host-{i}" }))
            .ToList();
        var late = Host("late.test", Prefix("/", Web.Name) with
        {
            Ingress = "shop/late",
            Canaries = [new CanaryConfig { Backend = Beta.Name, Ingress = "shop/late-canary", Header = "x-beta" }],
        });

        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var registry = new SeriesRegistry();
        var first = state.Apply(Of([.. filling, late], [Web, Beta], generation: 1));
        foreach (var host in filling)
        {
            registry.For(RouteOf(first, host.Host));
        }

        var lateRoute = RouteOf(first, "late.test");
        Assert.Same(registry.Unrouted, registry.For(lateRoute));
        Assert.Same(registry.Unrouted, registry.ForCanary(lateRoute, first.Backends[Beta.Name]));

        // Ten hosts leave; late.test is the same host config, so its compiled route is kept.
        var second = state.Apply(Of([.. filling.Skip(10), late], [Web, Beta], generation: 2));
        Assert.Same(lateRoute, RouteOf(second, "late.test"));
        registry.Retain(second);

        var own = registry.For(lateRoute);
        Assert.NotSame(registry.Unrouted, own);
        Assert.Equal(("late.test", "late", false), (own.Labels.Host, own.Labels.Ingress, own.Labels.Canary));
        Assert.Same(own, registry.For(lateRoute));

        var canary = registry.ForCanary(lateRoute, second.Backends[Beta.Name]);
        Assert.Equal(("late.test", "late-canary", true), (canary.Labels.Host, canary.Labels.Ingress, canary.Labels.Canary));
    }

    private static Route RouteOf(RouteTable table, string host) => Assert.Single(table.FindLabelledHost(host, SeriesLabels.OtherHost)!.Routes);
}
