using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Routing;

public sealed class CanarySelectionTests : IDisposable
{
    private readonly ProxyConfigState _state = new(new ForwarderOptions(), NullLogger.Instance);

    public void Dispose() => _state.Dispose();

    private RouteTable Table(params CanaryConfig[] canaries)
    {
        var route = Prefix("/", "main") with { Canaries = [.. canaries] };
        var backends = canaries.Select(c => c.Backend).Append("main").Distinct()
            .Select(name => Backend(name, new EndpointConfig("127.0.0.1", 1)));
        return _state.Apply(Of([Host("shop.test", route)], backends));
    }

    private static DefaultHttpContext Request(string? query = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString("shop.test");
        context.Request.Path = "/";
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query);
        }

        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context;
    }

    private static string Pick(RouteTable table, HttpContext context)
    {
        var route = table.Match("shop.test", "/")!;
        EndpointSelection.Pick(context, route, out var backend);
        return backend.Name;
    }

    [Fact]
    public void Every_header_rule_runs_before_any_cookie_rule_and_never_stops_at_main()
    {
        var table = Table(
            new CanaryConfig { Backend = "by-cookie", Cookie = "c" },
            new CanaryConfig { Backend = "by-header", Header = "X-H" },
            new CanaryConfig { Backend = "by-query", Query = "q", QueryValues = ["1"] });

        Assert.Equal("by-header", Pick(table, Request(null, ("Cookie", "c=always"), ("X-H", "always"))));
        Assert.Equal("main", Pick(table, Request("?q=1", ("Cookie", "c=always"), ("X-H", "never"))));
        Assert.Equal("main", Pick(table, Request("?q=1", ("Cookie", "c=never"))));
        Assert.Equal("by-query", Pick(table, Request("?q=1", ("Cookie", "c=other"))));
        Assert.Equal("by-query", Pick(table, Request("?a=&q=%31")));
    }

    [Fact]
    public void A_pattern_that_runs_too_long_falls_through_instead_of_stalling()
    {
        var table = Table(new CanaryConfig { Backend = "slow", Header = "X-H", HeaderPattern = "^(a+)+$" });
        Assert.Equal("slow", Pick(table, Request(null, ("X-H", "aaaa"))));
        Assert.Equal("main", Pick(table, Request(null, ("X-H", new string('a', 5000) + "!"))));
    }

    [Fact]
    public void Selecting_by_header_and_by_weight_allocates_nothing()
    {
        var table = Table(
            new CanaryConfig { Backend = "h", Header = "X-H", HeaderValues = ["a", "b"] },
            new CanaryConfig { Backend = "c", Cookie = "c", CookieValues = ["x"] },
            new CanaryConfig { Backend = "w", Weight = 50 });
        var route = table.Match("shop.test", "/")!;
        var byHeader = Request(null, ("X-H", "B"));
        var byWeight = Request("?a=1", ("Cookie", "z=1; c=y"));
        EndpointSelection.Pick(byHeader, route, out _);
        EndpointSelection.Pick(byWeight, route, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            EndpointSelection.Pick(byHeader, route, out _);
            EndpointSelection.Pick(byWeight, route, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
