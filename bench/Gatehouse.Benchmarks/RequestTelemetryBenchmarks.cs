using BenchmarkDotNet.Attributes;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks;

/// <summary>
/// What the proxy adds per request for telemetry: the Start/Complete pair of the request handler
/// (metrics only, and metrics + access log queue), and the bare per-series record. The metric paths
/// must allocate nothing. <see cref="RecordSeriesSpread"/> records on the series of 1,000 hosts in a
/// scattered order, as hosts1k's load does: there the cost is the cache lines a record touches.
/// </summary>
[MemoryDiagnoser]
public class RequestTelemetryBenchmarks
{
    private ProxyConfigState _state = null!;
    private ProxyConfigState _spreadState = null!;
    private Route _route = null!;
    private BackendEndpoint _endpoint = null!;
    private RequestTelemetry _metricsOnly = null!;
    private RequestTelemetry _withAccessLog = null!;
    private DefaultHttpContext _context = null!;
    private RouteTelemetry _series = null!;
    private RouteTelemetry[] _spread = null!;
    private int _next;

    /// <summary>Series recorded per <see cref="RecordSeriesSpread"/> call.</summary>
    public const int SpreadBatch = 1000;

    [GlobalSetup]
    public void Setup()
    {
        _state = ProxyStates.Create();
        var table = _state.Apply(new GatehouseConfig
        {
            Generation = 1,
            Hosts = [new VirtualHostConfig { Host = "shop.example.com", Routes = [new RouteConfig { Path = "/", Backend = "retail/shop:80", Ingress = "retail/shop" }] }],
            Backends = [new BackendConfig { Name = "retail/shop:80", Namespace = "retail", Service = "shop", Endpoints = [new EndpointConfig("10.0.0.1", 8080)] }],
        });
        _route = table.Match("shop.example.com", "/cart")!;
        _endpoint = _route.Backend.NextEndpoint()!;
        _metricsOnly = new RequestTelemetry(null, null);

        // The writer drains to a null stream; a full queue drops, which is what overload costs.
        _withAccessLog = new RequestTelemetry(new AccessLogWriter(Stream.Null), null);

        _context = new DefaultHttpContext();
        _context.Request.Method = HttpMethods.Get;
        _context.Request.Host = new HostString("shop.example.com");
        _context.Request.Path = "/cart";
        _context.Response.StatusCode = 200;
        _context.Response.ContentLength = 1234;
        _series = _metricsOnly.Series.Attach(_route);

        // One series per host of a 1,000-host config, visited with a stride coprime to the count so
        // consecutive records land on unrelated series (and cache lines), every one equally often.
        var hosts = ConfigGenerator.Generate(1000);
        _spreadState = ProxyStates.Create();
        var spreadTable = _spreadState.Apply(hosts);
        var routes = new RouteTelemetry[hosts.Hosts.Length];
        for (var i = 0; i < routes.Length; i++)
        {
            var route = spreadTable.Match(ConfigGenerator.RequestHost(i), "/")!;
            routes[i] = _metricsOnly.Series.Attach(route);
        }

        _spread = new RouteTelemetry[routes.Length];
        for (var i = 0; i < routes.Length; i++)
        {
            _spread[i] = routes[(int)((i * 389L) % routes.Length)];
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withAccessLog.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _state.Dispose();
        _spreadState.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void RecordSeries() => _series.Record(0, 200, 12_345, 10_000, 0, 1234);

    /// <summary>1,000 records, each on another host's series: divide the mean by 1,000.</summary>
    [Benchmark(OperationsPerInvoke = SpreadBatch)]
    public void RecordSeriesSpread()
    {
        var spread = _spread;
        var next = _next;
        for (var i = 0; i < SpreadBatch; i++)
        {
            spread[next].Record(0, 200, 12_345, 10_000, 0, 1234);
            next = next + 1 == spread.Length ? 0 : next + 1;
        }

        _next = next;
    }

    [Benchmark]
    public void StartAndCompleteMetrics()
    {
        var observation = _metricsOnly.Start(_context);
        _metricsOnly.Complete(observation, _context, _route, _route.Backend, _endpoint, observation.StartedAt, ForwarderError.None);
    }

    [Benchmark]
    public void StartAndCompleteMetricsAndAccessLog()
    {
        var observation = _withAccessLog.Start(_context);
        _withAccessLog.Complete(observation, _context, _route, _route.Backend, _endpoint, observation.StartedAt, ForwarderError.None);
    }
}
