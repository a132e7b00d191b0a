using BenchmarkDotNet.Attributes;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Routing;
using Gatehouse.Serialization;

namespace Gatehouse.Benchmarks;

/// <summary>
/// Compiling a decoded config. Apply is the proxy's whole path (backend registry + route table +
/// swap) in steady state: backends keep their names, so their connection pools are carried over as
/// on a typical config update. TableOnly is the RouteTable constructor alone.
/// </summary>
[MemoryDiagnoser]
public class RouteTableBuildBenchmarks
{
    private GatehouseConfig _config = GatehouseConfig.Empty;
    private ProxyConfigState? _state;
    private IReadOnlyDictionary<string, Backend> _backends = new Dictionary<string, Backend>();
    private readonly RouteTableInfo _info = new(1, Guid.Empty, SchemaVersion.Current, default, default);

    [Params(1_000, 10_000, 100_000)]
    public int Hosts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Decoded from the wire rather than generated, so strings and arrays are laid out as in the proxy.
        _config = ConfigSerializer.Deserialize(ConfigSerializer.Serialize(ConfigGenerator.Generate(Hosts)));
        _state = ProxyStates.Create();
        _backends = _state.Apply(_config).Backends;
    }

    [GlobalCleanup]
    public void Cleanup() => _state?.Dispose();

    [Benchmark]
    public object Apply() => _state!.Apply(_config);

    [Benchmark]
    public object TableOnly() => new RouteTable(_config, _backends, _info);
}
