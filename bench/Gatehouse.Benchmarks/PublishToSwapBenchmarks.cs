using BenchmarkDotNet.Attributes;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Routing;
using Gatehouse.Serialization;

namespace Gatehouse.Benchmarks;

/// <summary>
/// One generation through the real channel file: controller publishes the encoded config, proxy
/// polls it (copy + CRC-32C), decodes it, compiles it and swaps the reference. Encoding is outside
/// the measurement (CodecBenchmarks.Encode covers it). Both ends run in this process, so the figure
/// is the work, not the poll interval.
/// </summary>
[MemoryDiagnoser]
public class PublishToSwapBenchmarks
{
    private string _directory = "";
    private ConfigChannelWriter? _writer;
    private ConfigChannelReader? _reader;
    private ProxyConfigState? _state;
    private byte[] _blob = [];

    [Params(1_000, 10_000, 100_000)]
    public int Hosts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "gatehouse-bench-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(_directory, "config.bin");
        _writer = ConfigChannelWriter.Open(path);
        _reader = new ConfigChannelReader(path);
        _state = ProxyStates.Create();
        _blob = ConfigSerializer.Serialize(ConfigGenerator.Generate(Hosts));
        // Warm the file to its final size and the registry to its steady set of backends.
        PublishAndSwap();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader?.Dispose();
        _writer?.Dispose();
        _state?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public object PublishAndSwap()
    {
        _writer!.Publish(_blob, SchemaVersion.Current);
        var result = _reader!.Poll();
        if (result.Status != ChannelReadStatus.NewBlob)
        {
            throw new InvalidOperationException($"poll returned {result.Status} {result.RejectReason}");
        }

        var blob = result.Blob!;
        var config = ConfigSerializer.Deserialize(blob.Payload);
        return _state!.Apply(config, blob.Generation, blob.InstanceId, blob.WrittenAt);
    }
}
