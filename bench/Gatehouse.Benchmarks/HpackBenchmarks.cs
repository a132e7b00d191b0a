using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Benchmarks;

/// <summary>
/// HPACK per request: decoding a browser's request header block and encoding a response head. Both must
/// allocate nothing. <see cref="DecodeFirstRequest"/> is a connection's first request (every value a Huffman
/// literal; without indexing, so that repeating it leaves the table alone: the insertion is the only work it
/// skips); <see cref="DecodeRepeatRequest"/> is a later one, mostly references to the dynamic table.
/// </summary>
[MemoryDiagnoser]
public class HpackBenchmarks
{
    private const byte WithIndexing = 0x40;
    private const byte WithoutIndexing = 0x00;

    private static readonly (int NameIndex, string Name, string Value)[] BrowserFields =
    [
        (1, ":authority", "www.example.com"),
        (4, ":path", "/api/v1/items?page=2&sort=name"),
        (58, "user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
        (19, "accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        (16, "accept-encoding", "gzip, deflate, br, zstd"),
        (17, "accept-language", "en-US,en;q=0.9"),
        (32, "cookie", "session=3f2a9c1e7b; theme=dark; _ga=GA1.2.123456789.1700000000"),
        (51, "referer", "https://www.example.com/items"),
        (0, "sec-fetch-mode", "navigate"),
        (0, "sec-fetch-site", "same-origin"),
    ];

    private static readonly (string Name, string Value)[] ResponseHeaders =
    [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "5123"),
        ("Date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("Server", "gatehouse"),
        ("Cache-Control", "private, max-age=0"),
        ("X-Request-ID", "0123456789abcdef0123456789abcdef"),
    ];

    private readonly FieldCounter _sink = new();
    private readonly byte[] _output = new byte[4096];
    private HpackDecoder _firstDecoder = null!;
    private HpackDecoder _repeatDecoder = null!;
    private byte[] _firstRequest = [];
    private byte[] _repeatRequest = [];

    [GlobalSetup]
    public void Setup()
    {
        _firstDecoder = new HpackDecoder();
        _firstRequest = BuildRequest(WithoutIndexing);

        // The first request inserts every field; the next one refers to them, newest (62) first.
        _repeatDecoder = new HpackDecoder();
        _repeatDecoder.Decode(BuildRequest(WithIndexing), _sink);
        var repeat = new List<byte> { 0x82, 0x87 };
        for (var i = 0; i < BrowserFields.Length; i++)
        {
            repeat.Add((byte)(0x80 | (61 + BrowserFields.Length - i)));
        }

        _repeatRequest = [.. repeat];
    }

    [Benchmark]
    public int DecodeFirstRequest()
    {
        _firstDecoder.Decode(_firstRequest, _sink);
        return _sink.Count;
    }

    [Benchmark]
    public int DecodeRepeatRequest()
    {
        _repeatDecoder.Decode(_repeatRequest, _sink);
        return _sink.Count;
    }

    /// <summary>:status and six headers in their HTTP/1.1 spelling.</summary>
    [Benchmark]
    public int EncodeResponse()
    {
        var output = _output.AsSpan();
        var position = HpackEncoder.WriteStatus(200, output);
        foreach (var (name, value) in ResponseHeaders)
        {
            HpackEncoder.TryWriteHeader(name, value, output[position..], out var written);
            position += written;
        }

        return position;
    }

    /// <summary>:method GET, :scheme https, then every browser field with a Huffman-coded value.</summary>
    private static byte[] BuildRequest(byte representation)
    {
        var prefixBits = representation == WithIndexing ? 6 : 4;
        var block = new List<byte> { 0x82, 0x87 };
        foreach (var (nameIndex, name, value) in BrowserFields)
        {
            AddInteger(block, nameIndex, prefixBits, representation);
            if (nameIndex == 0)
            {
                AddHuffmanString(block, name);
            }

            AddHuffmanString(block, value);
        }

        return [.. block];
    }

    private static void AddHuffmanString(List<byte> block, string text)
    {
        var raw = Encoding.ASCII.GetBytes(text);
        var encoded = new byte[Huffman.GetEncodedLength(raw)];
        Huffman.Encode(raw, encoded);
        AddInteger(block, encoded.Length, 7, 0x80);
        block.AddRange(encoded);
    }

    private static void AddInteger(List<byte> block, int value, int prefixBits, byte flags)
    {
        var buffer = new byte[HpackInteger.MaxEncodedLength];
        block.AddRange(buffer.AsSpan(0, HpackInteger.Encode(value, prefixBits, flags, buffer)));
    }

    private sealed class FieldCounter : IHpackHeaderSink
    {
        public int Count { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Count++;
    }
}
