using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Http2.Infrastructure;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// A graceful stop of the own HTTPS listener: requests in flight finish (h2 after GOAWAY, HTTP/1.1 with
/// Connection: close), idle connections and unfinished handshakes are closed at once rather than when
/// the shutdown timeout aborts them. The shutdown timeout here is a minute, longer than any wait in the
/// test, so a close that only came from it fails the test.
/// </summary>
public sealed class HttpsHostStopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static ProxyOptions Options() => ProxyHarness.LocalOptions() with
    {
        HttpsPort = 0,
        ShutdownTimeout = TimeSpan.FromMinutes(1),
        TlsHandshakeTimeout = TimeSpan.FromMinutes(1),
    };

    private static async Task<(Http2TestBackend Backend, ProxyHarness Proxy)> StartAsync()
    {
        var backend = await Http2TestBackend.StartAsync();
        var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        Assert.True(proxy.Server.ServesHttpsItself);
        return (backend, proxy);
    }

    [Fact]
    public async Task StopSendsGoAwayOnH2AndLetsTheRequestInFlightComplete()
    {
        var (backend, proxy) = await StartAsync();
        await using var disposeBackend = backend;
        await using var disposeProxy = proxy;
        await using var connection = await RawHttp2Connection.ConnectTlsAsync(proxy.Server.HttpsPort, "app.example.com");
        await connection.HandshakeAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/slow", "app.example.com", "https"), endStream: true);
        await backend.WaitForSlowRequestsAsync();

        var stopping = proxy.Server.StopAsync();
        var goAway = await connection.ExpectGoAwayAsync();
        Assert.Equal(H2.ErrorName(H2.NoError), H2.ErrorName(goAway.ErrorCode));
        Assert.True(goAway.LastStreamId >= 1, goAway.ToString());
        Assert.False(stopping.IsCompleted, "the stop finished with a request in flight");

        backend.ReleaseSlow();
        var response = await connection.ReadResponseAsync(1);
        Assert.Equal((200, "released"), (response.Status, response.BodyText));
        await connection.WaitForCloseAsync();
        await stopping.WaitAsync(Patience);
    }

    [Fact]
    public async Task StopClosesIdleHttp1ConnectionsAndLetsTheRequestInFlightFinishWithConnectionClose()
    {
        var (backend, proxy) = await StartAsync();
        await using var disposeBackend = backend;
        await using var disposeProxy = proxy;

        await using var idle = await TlsProbe.ConnectAsync(proxy.Server.HttpsPort, "app.example.com");
        Assert.StartsWith("HTTP/1.1 200", await idle.GetAsync("app.example.com", "/id/first"), StringComparison.Ordinal);

        await using var busy = await TlsProbe.ConnectAsync(proxy.Server.HttpsPort, "app.example.com");
        await busy.Stream.WriteAsync("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n"u8.ToArray());
        await backend.WaitForSlowRequestsAsync();

        var stopping = proxy.Server.StopAsync();

        // The idle keep-alive connection is closed while the busy one still holds the stop open:
        // the stop's doing, not the shutdown timeout's (which would have aborted both).
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(idle.Stream));
        Assert.False(stopping.IsCompleted, "the stop finished with a request in flight");

        // No new connection is taken any more.
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(proxy.Server.HttpsPort));

        backend.ReleaseSlow();
        var answer = await ReadUntilClosedAsync(busy.Stream);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("released", answer, StringComparison.Ordinal);
        await stopping.WaitAsync(Patience);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public async Task StopDropsAHandshakeThatHasNotFinished(int helloBytes)
    {
        // "Handshakes still running are dropped": a client that connected and sent nothing, or part of
        // its ClientHello, must not hold the stop for the handshake timeout (a minute here).
        var (backend, proxy) = await StartAsync();
        await using var disposeBackend = backend;
        await using var disposeProxy = proxy;
        var hello = await ClientHelloClient.CaptureAsync("app.example.com");
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Server.HttpsPort);
        var stream = client.GetStream();
        await stream.WriteAsync(hello.AsMemory(0, helloBytes));

        // The listener has the connection (the connection gauge counts it) before the stop begins.
        await WaitUntilAsync(async () => (await ActiveConnectionsAsync(proxy)) >= 1);

        var stopping = proxy.Server.StopAsync();
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream));
        await stopping.WaitAsync(Patience);
    }

    private static async Task<double> ActiveConnectionsAsync(ProxyHarness proxy)
    {
        var line = (await proxy.AdminClient.GetStringAsync("/metrics")).Split('\n')
            .FirstOrDefault(l => l.StartsWith("gatehouse_active_connections", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static async Task ConnectAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var buffer = new byte[1];
        using var deadline = new CancellationTokenSource(Patience);
        if (await client.GetStream().ReadAsync(buffer, deadline.Token) == 0)
        {
            throw new SocketException((int)SocketError.ConnectionReset);
        }
    }

    /// <summary>Reads until the server closes the connection (or resets it); fails if it stays open past the patience.</summary>
    private static async Task<string> ReadUntilClosedAsync(Stream stream)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"the server kept the connection open for {Patience.TotalSeconds} s");
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }
}
