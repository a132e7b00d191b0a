using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Routing;

namespace Gatehouse.Benchmarks;

/// <summary>
/// Methods return object because RouteTable and Route are internal; no boxing, they are classes.
/// One lookup per invocation: an exact host, a wildcard host and a miss, each with a deep path.
/// The Naive* methods are the per-category baselines, so the Ratio column is RouteTable vs naive.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class RouteMatchBenchmarks
{
    private ProxyConfigState? _state;
    private RouteTable? _table;
    private NaiveRouter? _naive;
    private string _exactHost = "";
    private string _wildcardHost = "";
    private const string MissHost = "unknown.example.org";
    private const string Path = ConfigGenerator.DeepPath;

    [Params(1_000, 10_000, 100_000)]
    public int Hosts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var config = ConfigGenerator.Generate(Hosts);
        _state = ProxyStates.Create();
        _table = _state.Apply(config);
        _naive = new NaiveRouter(config);
        // Hosts from the middle of the key space; 10k+7 is never a wildcard, 10k+0 always is.
        _exactHost = ConfigGenerator.RequestHost((Hosts / 2) + 7);
        _wildcardHost = ConfigGenerator.RequestHost(Hosts / 2);
        if (_table.Match(_exactHost, Path) is null || _table.Match(_wildcardHost, Path) is null || _table.Match(MissHost, Path) is not null
            || _naive.Match(_exactHost, Path) is null || _naive.Match(_wildcardHost, Path) is null)
        {
            throw new InvalidOperationException("benchmark hosts do not route as intended");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _state?.Dispose();

    [Benchmark, BenchmarkCategory("exact")]
    public object? Exact() => _table!.Match(_exactHost, Path);

    [Benchmark(Baseline = true), BenchmarkCategory("exact")]
    public RouteConfig? NaiveExact() => _naive!.Match(_exactHost, Path);

    [Benchmark, BenchmarkCategory("wildcard")]
    public object? Wildcard() => _table!.Match(_wildcardHost, Path);

    [Benchmark(Baseline = true), BenchmarkCategory("wildcard")]
    public RouteConfig? NaiveWildcard() => _naive!.Match(_wildcardHost, Path);

    [Benchmark, BenchmarkCategory("miss")]
    public object? Miss() => _table!.Match(MissHost, Path);

    [Benchmark(Baseline = true), BenchmarkCategory("miss")]
    public RouteConfig? NaiveMiss() => _naive!.Match(MissHost, Path);
}
