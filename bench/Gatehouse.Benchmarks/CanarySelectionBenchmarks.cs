using BenchmarkDotNet.Attributes;
using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Routing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks;

/// <summary>
/// Route selection with 0, 1 and 20 canaries on the matched path: RouteTable.Match then
/// EndpointSelection.Pick (canary rules, then the endpoint). The request carries a header, a cookie
/// and a query string that match no canary rule, so every rule runs and the weight draw decides:
/// the worst case for a request that ends up on the main backend.
/// </summary>
[MemoryDiagnoser]
public class CanarySelectionBenchmarks
{
    private const string Host = "shop.example.com";
    private const string Path = "/api/v1/users/42";

    private ProxyConfigState? _state;
    private RouteTable? _table;
    private DefaultHttpContext? _context;

    [Params(0, 1, 20)]
    public int Canaries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var canaries = Enumerable.Range(0, Canaries).Select(i => (i % 4, Canaries == 1) switch
        {
            (_, true) => new CanaryConfig { Backend = "c0", Header = "X-Canary", HeaderValues = ["beta", "preview"], Weight = 10 },
            (0, _) => new CanaryConfig { Backend = $"c{i}", Header = $"X-Canary-{i}", HeaderValues = ["beta", "preview"] },
            (1, _) => new CanaryConfig { Backend = $"c{i}", Cookie = $"canary{i}", CookieValues = ["alice", "bob"] },
            (2, _) => new CanaryConfig { Backend = $"c{i}", Query = $"v{i}", QueryValues = ["2"] },
            _ => new CanaryConfig { Backend = $"c{i}", Weight = 1 },
        }).ToList();
        var route = new RouteConfig { Path = "/api", Backend = "main", Canaries = [.. canaries] };
        var backends = canaries.Select(c => c.Backend).Append("main")
            .Select(name => new BackendConfig { Name = name, Endpoints = [new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80)] });
        _state = ProxyStates.Create();
        _table = _state.Apply(new GatehouseConfig { Hosts = [new VirtualHostConfig { Host = Host, Routes = [route] }], Backends = [.. backends] });

        _context = new DefaultHttpContext();
        _context.Request.Host = new HostString(Host);
        _context.Request.Path = Path;
        _context.Request.QueryString = new QueryString("?page=3&sort=name");
        _context.Request.Headers["X-Canary"] = "stable";
        _context.Request.Headers["X-Canary-0"] = "stable";
        _context.Request.Headers.Cookie = "session=abc; canary1=carol; theme=dark";
        if (Select() is null)
        {
            throw new InvalidOperationException("the benchmark request does not route");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _state?.Dispose();

    [Benchmark]
    public object? Select()
    {
        var route = _table!.Match(Host, Path);
        return route is null ? null : EndpointSelection.Pick(_context!, route, out _);
    }
}
