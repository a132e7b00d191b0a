using System.Net;
using System.Net.Sockets;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Tls;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// A client that does not finish its handshake loses the connection after <c>TlsHandshakeTimeout</c>,
/// wherever it stalls: before the first byte, inside the ClientHello (the peek is waiting), or after
/// it (SslStream is waiting for the client's next flight).
/// </summary>
public sealed class HttpsHostHandshakeTimeoutTests
{
    // Generous for a 1 s timeout on a loaded machine. What proves the close was the timeout (and the
    // configured one, not the 10 s default) is the log line naming 1 s, not this bound.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public enum Stall
    {
        BeforeTheFirstByte,
        InsideTheRecordHeader,
        InsideTheClientHello,
        AfterTheClientHello,
    }

    [Theory]
    [InlineData(Stall.BeforeTheFirstByte)]
    [InlineData(Stall.InsideTheRecordHeader)]
    [InlineData(Stall.InsideTheClientHello)]
    [InlineData(Stall.AfterTheClientHello)]
    public async Task AStalledHandshakeIsDroppedAfterTheTimeoutAndTheProxyKeepsServing(Stall stall)
    {
        var hello = await ClientHelloClient.CaptureAsync("app.example.com");
        var sent = stall switch
        {
            Stall.BeforeTheFirstByte => [],
            Stall.InsideTheRecordHeader => hello[..3],
            Stall.InsideTheClientHello => hello[..(hello.Length / 2)],
            _ => hello,
        };
        using var logs = new CapturingLoggerProvider(typeof(HttpsHost).FullName!);
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = new ProxyServer(
            ProxyHarness.LocalOptions() with { HttpsPort = 0, TlsHandshakeTimeout = TimeSpan.FromSeconds(1) },
            loggerFactory);
        await proxy.StartAsync();
        proxy.ApplyConfig(Configs.CatchAll(Configs.Backend("b", backend.Endpoint)));
        Assert.True(proxy.ServesHttpsItself);

        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, proxy.HttpsPort);
        var stream = client.GetStream();
        await stream.WriteAsync(sent);

        await ReadUntilClosedAsync(stream);
        Assert.Contains(logs.Logger.Lines, l => l.Message.EndsWith("the TLS handshake did not finish within 1 s", StringComparison.Ordinal));

        // Only that connection was dropped.
        await using var next = await TlsProbe.ConnectAsync(proxy.HttpsPort, "app.example.com");
        Assert.StartsWith("HTTP/1.1 200", await next.GetAsync("app.example.com", "/"), StringComparison.Ordinal);
    }

    /// <summary>Reads (the ServerHello flight, after a whole ClientHello) until the server closes or resets.</summary>
    private static async Task ReadUntilClosedAsync(NetworkStream stream)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var buffer = new byte[16 * 1024];
        try
        {
            while (await stream.ReadAsync(buffer, deadline.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"the server kept the stalled connection open for {Patience.TotalSeconds} s");
        }
    }
}
