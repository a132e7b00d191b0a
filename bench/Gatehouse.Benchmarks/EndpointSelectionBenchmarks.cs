using BenchmarkDotNet.Attributes;
using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Routing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks;

/// <summary>
/// EndpointSelection.Pick on one route with three endpoints under each balancing policy:
/// round robin, ewma (two random choices scored by latency and in-flight requests) and cookie
/// affinity, both for a client that already carries the cookie (the steady state) and for a first
/// visit, which draws a session and registers the Set-Cookie (that case builds a fresh HttpContext
/// per call, so its allocations include the context's own).
/// </summary>
[MemoryDiagnoser]
public class EndpointSelectionBenchmarks
{
    private const string Host = "shop.example.com";
    private const string Path = "/shop/cart";
    private const string BackendName = "main";

    public enum Policy
    {
        RoundRobin,
        Ewma,
        AffinityPinned,
        AffinityFirstVisit,
    }

    private ProxyConfigState? _state;
    private Route? _route;
    private DefaultHttpContext? _context;

    [Params(Policy.RoundRobin, Policy.Ewma, Policy.AffinityPinned, Policy.AffinityFirstVisit)]
    public Policy Balancing { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var upstream = Balancing switch
        {
            Policy.Ewma => new UpstreamPolicyConfig { LoadBalance = LoadBalancingPolicy.Ewma },
            Policy.AffinityPinned or Policy.AffinityFirstVisit => new UpstreamPolicyConfig { Affinity = new AffinityConfig() },
            _ => new UpstreamPolicyConfig(),
        };
        var route = new RouteConfig { Path = "/shop", Backend = BackendName, Upstream = upstream };
        var backend = new BackendConfig
        {
            Name = BackendName,
            Endpoints = [new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80), new EndpointConfig("10.0.0.3", 80)],
        };
        _state = ProxyStates.Create();
        var table = _state.Apply(new GatehouseConfig { Hosts = [new VirtualHostConfig { Host = Host, Routes = [route] }], Backends = [backend] });
        _route = table.Match(Host, Path) ?? throw new InvalidOperationException("the benchmark request does not route");

        _context = new DefaultHttpContext();
        _context.Request.Host = new HostString(Host);
        _context.Request.Path = Path;
        _context.Request.Headers.Cookie = Balancing == Policy.AffinityPinned
            ? "theme=dark; INGRESSCOOKIE=" + SessionAffinity.BackendTag(BackendName) + ".0123456789abcdef"
            : "theme=dark";

        // Give ewma measured latencies, so the score is not the zero of never-measured endpoints.
        foreach (var endpoint in _route.Backend.Endpoints)
        {
            endpoint.State.EndAttempt(endpoint.State.BeginAttempt(), failed: false);
        }

        if (Select() is null)
        {
            throw new InvalidOperationException("the benchmark request picks no endpoint");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _state?.Dispose();

    [Benchmark]
    public object? Select()
    {
        var context = _context!;
        if (Balancing == Policy.AffinityFirstVisit)
        {
            context = new DefaultHttpContext();
            context.Request.Path = Path;
        }

        return EndpointSelection.Pick(context, _route!, out _);
    }
}
