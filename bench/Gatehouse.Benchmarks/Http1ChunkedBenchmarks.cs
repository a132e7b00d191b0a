using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.Proxy.Http1;

namespace Gatehouse.Benchmarks;

/// <summary>
/// The chunked request-body decoder over a body already in the connection's buffer, consumed whole as
/// the server's body reader does when the application takes everything offered. The data is sliced,
/// never copied, so the cost is the framing alone; it must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class Http1ChunkedBenchmarks
{
    private readonly Http1ChunkedDecoder _decoder = new(new Http1Limits());
    private ReadOnlySequence<byte> _large;
    private ReadOnlySequence<byte> _small;

    [GlobalSetup]
    public void Setup()
    {
        _large = Encode(64 * 1024, 8 * 1024);
        _small = Encode(1024, 1024);
    }

    /// <summary>64 KiB in eight 8 KiB chunks ("2000" CRLF ... CRLF), then "0" CRLF CRLF.</summary>
    [Benchmark]
    public long Decode64KiBIn8KiBChunks() => Decode(_large);

    /// <summary>1 KiB in one chunk.</summary>
    [Benchmark]
    public long Decode1KiBInOneChunk() => Decode(_small);

    private long Decode(ReadOnlySequence<byte> input)
    {
        _decoder.Reset();
        while (_decoder.Decode(input, out _, out var data, out _) == Http1ChunkedStatus.Data)
        {
            _decoder.ConsumeData(data.Length);
            input = input.Slice(data.End);
        }

        return _decoder.BodyBytes;
    }

    private static ReadOnlySequence<byte> Encode(int bodyLength, int chunkLength)
    {
        var wire = new List<byte>();
        for (var written = 0; written < bodyLength; written += chunkLength)
        {
            wire.AddRange(Encoding.ASCII.GetBytes($"{chunkLength:x}\r\n"));
            wire.AddRange(Enumerable.Repeat((byte)'a', chunkLength));
            wire.AddRange("\r\n"u8.ToArray());
        }

        wire.AddRange("0\r\n\r\n"u8.ToArray());
        return new ReadOnlySequence<byte>([.. wire]);
    }
}
