using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Routing;

public sealed class RouteTableTests : IDisposable
{
    private readonly ProxyConfigState _state = new(new ForwarderOptions(), NullLogger.Instance);

    public void Dispose() => _state.Dispose();

    private RouteTable Compile(GatehouseConfig config) => _state.Apply(config);

    /// <summary>One host "" with the given routes, each route's backend named after its "type:path".</summary>
    private RouteTable PathTable(params RouteConfig[] routes)
    {
        var named = routes.Select(r => r with { Backend = $"{r.Match}:{r.Path}" }).ToArray();
        return Compile(Of([Host("", named)], named.Select(r => Backend(r.Backend)).DistinctBy(b => b.Name)));
    }

    private static RouteConfig Route(string type, string path)
        => type == "Exact" ? Exact(path, "") : type == "Impl"
            ? new RouteConfig { Path = path, Match = PathMatch.ImplementationSpecific, Backend = "" }
            : Prefix(path, "");

    // The "Examples" table of https://kubernetes.io/docs/concepts/services-networking/ingress/#examples,
    // row by row: path type, path(s), request path, the path that must match (null: no match).
    [Theory]
    [InlineData("Prefix", "/", "/", "/")]
    [InlineData("Prefix", "/", "/anything/at/all", "/")]
    [InlineData("Exact", "/foo", "/foo", "/foo")]
    [InlineData("Exact", "/foo", "/bar", null)]
    [InlineData("Exact", "/foo", "/foo/", null)]
    [InlineData("Exact", "/foo/", "/foo", null)]
    [InlineData("Prefix", "/foo", "/foo", "/foo")]
    [InlineData("Prefix", "/foo", "/foo/", "/foo")]
    [InlineData("Prefix", "/foo/", "/foo", "/foo/")]
    [InlineData("Prefix", "/foo/", "/foo/", "/foo/")]
    [InlineData("Prefix", "/aaa/bb", "/aaa/bbb", null)]
    [InlineData("Prefix", "/aaa/bbb", "/aaa/bbb", "/aaa/bbb")]
    [InlineData("Prefix", "/aaa/bbb/", "/aaa/bbb", "/aaa/bbb/")]
    [InlineData("Prefix", "/aaa/bbb", "/aaa/bbb/", "/aaa/bbb")]
    [InlineData("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", "/aaa/bbb")]
    [InlineData("Prefix", "/aaa/bbb", "/aaa/bbbxyz", null)]
    [InlineData("Prefix", "/,/aaa", "/aaa/ccc", "/aaa")]
    [InlineData("Prefix", "/,/aaa,/aaa/bbb", "/aaa/bbb", "/aaa/bbb")]
    [InlineData("Prefix", "/,/aaa,/aaa/bbb", "/ccc", "/")]
    [InlineData("Prefix", "/aaa", "/ccc", null)]
    [InlineData("Impl", "/aaa", "/aaa/x", "/aaa")]
    [InlineData("Impl", "/aaa", "/aaax", null)]
    [InlineData("Prefix", "/FOO", "/foo", null)]
    public void KubernetesPathExamples(string type, string paths, string request, string? expected)
    {
        // The controller hands routes longest first; give them shortest first to prove the table
        // does not depend on that order for longest-match.
        var table = PathTable(paths.Split(',').Select(p => Route(type, p)).ToArray());

        var route = table.Match("example.com", request);

        Assert.Equal(expected, route?.Config?.Path);
    }

    [Theory]
    [InlineData("/foo", "Exact:/foo")]
    [InlineData("/foo/", "Prefix:/foo")]
    [InlineData("/foo/bar", "Prefix:/foo")]
    public void MixedExactAndPrefixPrefersExact(string request, string expectedBackend)
    {
        // Listed Prefix first: Exact must still win on the tie.
        var table = PathTable(Prefix("/foo", ""), Exact("/foo", ""));

        Assert.Equal(expectedBackend, table.Match("x", request)?.Backend.Name);
    }

    [Fact]
    public void LongerExactBeatsShorterPrefixAndLongerPrefixBeatsExactElsewhere()
    {
        var table = PathTable(Prefix("/", ""), Exact("/a/b", ""), Prefix("/a/b/c", ""));

        Assert.Equal("Exact:/a/b", table.Match("x", "/a/b")!.Backend.Name);
        Assert.Equal("Prefix:/a/b/c", table.Match("x", "/a/b/c/d")!.Backend.Name);
        Assert.Equal("Prefix:/", table.Match("x", "/a/b/")!.Backend.Name);
    }

    [Fact]
    public void EmptyPathIsTreatedAsRoot()
    {
        var table = PathTable(Exact("/", ""));

        Assert.Equal("Exact:/", table.Match("x", "")!.Backend.Name);
    }

    private RouteTable HostTable(string? defaultBackend = null, params string[] hosts)
    {
        var vhosts = hosts.Select(h => Host(h, Prefix("/", "b:" + h))).ToList();
        var backends = hosts.Select(h => Backend("b:" + h)).ToList();
        if (defaultBackend is not null)
        {
            backends.Add(Backend(defaultBackend));
        }

        return Compile(Of(vhosts, backends, defaultBackend));
    }

    [Theory]
    [InlineData("bar.foo.com", "b:*.foo.com")]
    [InlineData("baz.bar.foo.com", null)]
    [InlineData("foo.com", null)]
    [InlineData(".foo.com", null)]
    [InlineData("BAR.Foo.COM", "b:*.foo.com")]
    [InlineData("bar.foo.com:8080", "b:*.foo.com")]
    public void WildcardHostCoversExactlyOneLabel(string host, string? expectedBackend)
    {
        var table = HostTable(null, "*.foo.com");

        Assert.Equal(expectedBackend, table.Match(host, "/")?.Backend.Name);
    }

    [Theory]
    [InlineData("foo.bar.com", "b:foo.bar.com")]
    [InlineData("FOO.Bar.Com", "b:foo.bar.com")]
    [InlineData("foo.bar.com:443", "b:foo.bar.com")]
    [InlineData("foo.bar.com.", "b:foo.bar.com")]
    [InlineData("x.bar.com", "b:*.bar.com")]
    [InlineData("other.example", "b:")]
    [InlineData("", "b:")]
    [InlineData("127.0.0.1:8080", "b:")]
    [InlineData("[::1]:8080", "b:")]
    public void ExactThenWildcardThenCatchAll(string host, string expectedBackend)
    {
        var table = HostTable(null, "foo.bar.com", "*.bar.com", "");

        Assert.Equal(expectedBackend, table.Match(host, "/any")?.Backend.Name);
    }

    [Fact]
    public void Ipv6HostStripsBracketsAndPort()
    {
        var table = HostTable(null, "::1");

        Assert.Equal("b:::1", table.Match("[::1]:8080", "/")?.Backend.Name);
        Assert.Equal("b:::1", table.Match("[::1]", "/")?.Backend.Name);
    }

    [Fact]
    public void DefaultBackendServesUnknownHostsAndUnmatchedPaths()
    {
        var table = Compile(Of(
            [Host("app.example.com", Prefix("/api", "api"))],
            [Backend("api"), Backend("fallback")],
            defaultBackend: "fallback"));

        Assert.Equal("api", table.Match("app.example.com", "/api/v1")!.Backend.Name);
        var unmatchedPath = table.Match("app.example.com", "/web");
        Assert.Equal("fallback", unmatchedPath!.Backend.Name);
        Assert.True(unmatchedPath.IsDefaultBackend);
        Assert.Equal("fallback", table.Match("unknown.example.com", "/api")!.Backend.Name);
    }

    [Fact]
    public void NoRouteWithoutDefaultBackendIsNull()
    {
        var table = Compile(Of([Host("app.example.com", Prefix("/api", "api"))], [Backend("api")]));

        Assert.Null(table.Match("app.example.com", "/web"));
        Assert.Null(table.Match("other.example.com", "/api"));
    }

    [Fact]
    public void MatchedHostDoesNotFallThroughToCatchAll()
    {
        // Like nginx server blocks: once a host matched, its paths decide (then the default backend).
        var table = Compile(Of(
            [Host("app.example.com", Prefix("/api", "api")), Host("", Prefix("/", "catchall"))],
            [Backend("api"), Backend("catchall")]));

        Assert.Null(table.Match("app.example.com", "/web"));
        Assert.Equal("catchall", table.Match("else.example.com", "/web")!.Backend.Name);
    }

    [Fact]
    public void RouteToUndefinedBackendGetsAnEmptyBackend()
    {
        var table = Compile(Of([Host("", Prefix("/", "missing"))], []));

        var route = table.Match("x", "/");

        Assert.Equal("missing", route!.Backend.Name);
        Assert.Null(route.Backend.NextEndpoint());
    }

    [Fact]
    public void CountsDescribeTheConfig()
    {
        var table = Compile(Of(
            [Host("a.example.com", Prefix("/", "a"), Exact("/x", "a")), Host("b.example.com", Prefix("/", "b"))],
            [Backend("a", new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80)), Backend("b", new EndpointConfig("10.0.0.3", 80))],
            generation: 7));

        Assert.Equal(2, table.HostCount);
        Assert.Equal(3, table.RouteCount);
        Assert.Equal(2, table.Backends.Count);
        Assert.Equal(3, table.EndpointCount);
        Assert.Equal(7, table.Generation);
    }

    [Fact]
    public void LookupsDoNotAllocate()
    {
        var table = Compile(Of(
            [Host("a.example.com", Exact("/exact", "a"), Prefix("/api/v1", "a"), Prefix("/", "a")), Host("*.example.com", Prefix("/", "a"))],
            [Backend("a", new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80))]));
        const string host = "A.Example.com:8080";
        const string wildcard = "zzz.example.com";

        // Warm up (tiering, lazy statics) before measuring.
        for (var i = 0; i < 100; i++)
        {
            table.Match(host, "/api/v1/users")!.Backend.NextEndpoint();
            table.Match(wildcard, "/exact");
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            table.Match(host, "/exact");
            table.Match(host, "/api/v1/users")!.Backend.NextEndpoint();
            table.Match(wildcard, "/x");
            table.Match("nope.test", "/");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
