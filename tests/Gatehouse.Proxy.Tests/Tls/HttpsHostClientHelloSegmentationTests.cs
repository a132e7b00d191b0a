using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// The own listener peeks the ClientHello from the transport before SslStream starts, so it sees the
/// record however TCP cut it. A ClientHello in pieces must still be read whole (the certificate chosen
/// from it, not from the fallback that runs when the peek gives up), then handed to SslStream unconsumed.
/// </summary>
public sealed class HttpsHostClientHelloSegmentationTests : IAsyncLifetime
{
    private const string ServerName = "app.example.com";

    private readonly TestPki _pki = new();
    private TestBackend? _backend;
    private ProxyServer? _proxy;

    private ProxyServer Proxy => _proxy!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartTextAsync("ok");

        // One loop: the barrier below relies on the cleartext request and the TLS connection sharing it.
        _proxy = new ProxyServer(ProxyHarness.LocalOptions() with { HttpsPort = 0, EventLoops = 1 }, NullLoggerFactory.Instance);
        await _proxy.StartAsync();
        _proxy.ApplyConfig(Configs.Of(
            [Configs.Host(ServerName, Configs.Prefix("/", "b")) with { Certificate = "default/app", Certificates = ["default/app"] }],
            [Configs.Backend("b", _backend.Endpoint)]) with
        {
            Certificates = [_pki.Server("default/app", ecdsa: true, ServerName) with { Hosts = [ServerName] }],
        });
        Assert.True(_proxy.ServesHttpsItself);
    }

    public async Task DisposeAsync()
    {
        await _proxy!.DisposeAsync();
        await _backend!.DisposeAsync();
        _pki.Dispose();
    }

    /// <summary>
    /// Returns once the proxy's event loop has read what was written before: a request on another
    /// connection to the same (single) loop is answered only after the loop handled the readiness
    /// reported before it. Not a fixed sleep, and no hook in the product needed.
    /// </summary>
    private async Task LoopBarrierAsync()
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, Proxy.HttpPort);
        var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: barrier\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, await stream.ReadAsync(new byte[1], deadline.Token));
    }

    private async Task<double> HandshakesAsync(string keyType)
    {
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Proxy.AdminPort}") };
        var line = (await admin.GetStringAsync("/metrics")).Split('\n')
            .FirstOrDefault(l => l.StartsWith($"gatehouse_tls_handshakes_total{{key_type=\"{keyType}\",", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private async Task AssertServedAsync(TlsConnection connection)
    {
        Assert.Equal("CN=default.app", connection.Stream.RemoteCertificate!.Subject);
        Assert.StartsWith("HTTP/1.1 200", await connection.GetAsync(ServerName, "/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SslStreamWritesTheClientHelloAsOneRecord()
    {
        // The cases below cut this record; they mean what they say only if it is one.
        var hello = await ClientHelloClient.CaptureAsync(ServerName);
        Assert.Equal(0x16, hello[0]);
        Assert.Equal(hello.Length - 5, (hello[3] << 8) | hello[4]);
    }

    [Theory]
    [InlineData(3)] // inside the record header
    [InlineData(5)] // the header alone
    [InlineData(-1)] // half the ClientHello
    public async Task AClientHelloInTwoPiecesWithAPauseIsReadWhole(int cut)
    {
        await using var connection = await ClientHelloClient.ConnectAsync(Proxy.HttpsPort, ServerName, async (hello, stream) =>
        {
            var at = cut > 0 ? cut : hello.Length / 2;
            await stream.WriteAsync(hello[..at]);

            // The loop has seen the first piece (and the peek is waiting for the rest) before the rest is sent.
            await LoopBarrierAsync();
            await stream.WriteAsync(hello[at..]);
        });

        await AssertServedAsync(connection);

        // "ecdsa", not "unknown": the certificate was chosen from the parsed ClientHello.
        Assert.Equal(1, await HandshakesAsync("ecdsa"));
        Assert.Equal(0, await HandshakesAsync("unknown"));
    }

    [Fact]
    public async Task AClientHelloInManySmallWritesIsReadWhole()
    {
        // No waiting between writes (no-delay socket): however the loop's reads fall, the peek assembles the record.
        await using var connection = await ClientHelloClient.ConnectAsync(Proxy.HttpsPort, ServerName, async (hello, stream) =>
        {
            for (var at = 0; at < hello.Length; at += 16)
            {
                await stream.WriteAsync(hello[at..Math.Min(at + 16, hello.Length)]);
            }
        });

        await AssertServedAsync(connection);
        Assert.Equal(1, await HandshakesAsync("ecdsa"));
        Assert.Equal(0, await HandshakesAsync("unknown"));
    }

    [Theory]
    [InlineData(0, false)] // two records, cut in the middle
    [InlineData(1, false)] // 1-byte records first: the message's type and length are cut too
    [InlineData(40, true)] // 40-byte records, a pause after the first
    public async Task AClientHelloSplitOverRecordsIsReassembled(int length, bool pause)
    {
        // TLS lets a handshake message span records, and clients hiding SNI from middleboxes do it.
        // SslStream's own SNI lookup (the fallback when the peek gives up) reads the first record
        // only, unless the next has already arrived, and then served the default certificate: the
        // peek reassembles the message instead.
        await using var connection = await ClientHelloClient.ConnectAsync(Proxy.HttpsPort, ServerName, async (hello, stream) =>
        {
            var records = length switch
            {
                0 => Fragment(hello, (hello.Length - 5 + 1) / 2),
                1 => Fragment(hello, 1, 1, 1, 1, 1, hello.Length),
                _ => Fragment(hello, length),
            };
            await stream.WriteAsync(records[0]);
            if (pause)
            {
                await LoopBarrierAsync();
            }

            await stream.WriteAsync(records[1..].SelectMany(r => r).ToArray());
        });

        await AssertServedAsync(connection);
        Assert.Equal(1, await HandshakesAsync("ecdsa"));
        Assert.Equal(0, await HandshakesAsync("unknown"));
    }

    [Fact]
    public async Task AClientHelloInTooManyRecordsFallsBackAndIsStillServed()
    {
        // Past ClientHelloPeek.MaxRecords the peek stops walking records (each look walks them all):
        // the handshake falls back to SslStream's choice ("unknown" key type), and the request is served.
        await using var connection = await ClientHelloClient.ConnectAsync(Proxy.HttpsPort, ServerName, async (hello, stream) =>
        {
            var records = Fragment(hello, (hello.Length - 5) / (Gatehouse.Proxy.Tls.ClientHelloPeek.MaxRecords + 1));
            Assert.True(records.Length > Gatehouse.Proxy.Tls.ClientHelloPeek.MaxRecords);
            await stream.WriteAsync(records.SelectMany(r => r).ToArray());
        });

        Assert.StartsWith("HTTP/1.1 200", await connection.GetAsync(ServerName, "/"), StringComparison.Ordinal);
        Assert.Equal(1, await HandshakesAsync("unknown"));
    }

    /// <summary>
    /// The one record's body cut into records of <paramref name="lengths"/> bytes, the last length
    /// repeated to the end (the last record shorter).
    /// </summary>
    private static byte[][] Fragment(ReadOnlyMemory<byte> hello, params int[] lengths)
    {
        var body = hello[5..];
        var records = new List<byte[]>();
        for (var (at, i) = (0, 0); at < body.Length; i++)
        {
            var end = Math.Min(at + lengths[Math.Min(i, lengths.Length - 1)], body.Length);
            records.Add(Record(hello.Span[..3], body[at..end]));
            at = end;
        }

        Assert.True(records.Count > 1);
        return [.. records];
    }

    private static byte[] Record(ReadOnlySpan<byte> typeAndVersion, ReadOnlyMemory<byte> body)
    {
        var record = new byte[5 + body.Length];
        typeAndVersion.CopyTo(record);
        record[3] = (byte)(body.Length >> 8);
        record[4] = (byte)body.Length;
        body.Span.CopyTo(record.AsSpan(5));
        return record;
    }
}
