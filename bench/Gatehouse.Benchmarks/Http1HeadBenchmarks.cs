using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Http2;

namespace Gatehouse.Benchmarks;

/// <summary>
/// The HTTP/1.1 server's per-request head work: finding the end of the head, then parsing it. After the
/// first request on a connection the per-connection string cache and the repeated-target cache hold every
/// string, so a repeat should allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class Http1HeadBenchmarks
{
    private static readonly byte[] Browser = Encoding.ASCII.GetBytes(
        "GET /api/v1/items?page=2&sort=name HTTP/1.1\r\n"
        + "Host: www.example.com\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Accept-Language: en-US,en;q=0.9\r\n"
        + "Cookie: session=3f2a9c1e7b; theme=dark; _ga=GA1.2.123456789.1700000000\r\n"
        + "Referer: https://www.example.com/items\r\n"
        + "Sec-Fetch-Mode: navigate\r\n"
        + "Sec-Fetch-Site: same-origin\r\n"
        + "Connection: keep-alive\r\n"
        + "\r\n");

    private static readonly byte[] Curl = Encoding.ASCII.GetBytes(
        "GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n");

    private readonly Http1Limits _limits = new();
    private readonly Http1RequestHead _head = new();
    private readonly Http2FieldStrings _strings = new();

    [GlobalSetup]
    public void Setup()
    {
        // A connection that has seen these requests before.
        BrowserHead();
        CurlHead();
    }

    [Benchmark]
    public long BrowserHead() => FindAndParse(Browser);

    [Benchmark]
    public long CurlHead() => FindAndParse(Curl);

    private long FindAndParse(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        long scanned = 0;
        if (Http1HeadParser.FindHeadEnd(buffer, ref scanned, _limits, out var length, out _) != Http1HeadScan.Complete)
        {
            throw new InvalidOperationException("head not found");
        }

        _head.Reset();
        if (!Http1HeadParser.TryParse(bytes.AsSpan(0, (int)length), _head, _strings, _limits, out var rejection))
        {
            throw new InvalidOperationException(rejection.Reason);
        }

        return length + _head.Headers.Count;
    }
}
