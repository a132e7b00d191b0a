using System.Buffers;
using BenchmarkDotNet.Attributes;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Benchmarks;

/// <summary>ConfigSerializer encode and decode of a whole config.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private GatehouseConfig _config = GatehouseConfig.Empty;
    private byte[] _blob = [];
    private ArrayBufferWriter<byte> _output = new();

    [Params(1_000, 10_000, 100_000)]
    public int Hosts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _config = ConfigGenerator.Generate(Hosts);
        _blob = ConfigSerializer.Serialize(_config);
        _output = new ArrayBufferWriter<byte>(_blob.Length);
    }

    /// <summary>Into a reused buffer, as the controller's publisher does.</summary>
    [Benchmark]
    public int Encode()
    {
        _output.ResetWrittenCount();
        ConfigSerializer.Serialize(_config, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public GatehouseConfig Decode() => ConfigSerializer.Deserialize(_blob);
}
