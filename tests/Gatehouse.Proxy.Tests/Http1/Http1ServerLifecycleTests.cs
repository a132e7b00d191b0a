using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http1;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// The proxy's own HTTP/1.1 server around its requests: the body and send timeouts that end a
/// connection a client holds up, a graceful stop, and the metric for refused heads.
/// </summary>
public sealed class Http1ServerLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Ten times the 1 s timeouts under test, and a third of the 30 s upstream timeout that would
    // otherwise end the request too: a close within it is the timeout's doing.
    private static readonly TimeSpan TimeoutPatience = TimeSpan.FromSeconds(10);

    private static ProxyOptions Options(Http1Limits? limits = null) => ProxyHarness.LocalOptions() with
    {
        Http1Server = Http1Server.Gatehouse,
        Http1Limits = limits ?? new Http1Limits(),
    };

    private static async Task<TcpClient> ConnectAsync(ProxyHarness proxy, int receiveBuffer = 0)
    {
        var client = new TcpClient();
        if (receiveBuffer > 0)
        {
            client.ReceiveBufferSize = receiveBuffer;
        }

        await client.ConnectAsync(IPAddress.Loopback, proxy.Server.HttpPort);
        return client;
    }

    /// <summary>Reads until the server closes the connection (or resets it); fails if it stays open past the patience.</summary>
    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream, TimeSpan? patience = null)
    {
        using var deadline = new CancellationTokenSource(patience ?? Patience);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
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

        Assert.False(deadline.IsCancellationRequested, "the server kept the connection open");
        return Encoding.Latin1.GetString(received.ToArray());
    }

    [Fact]
    public async Task AClientThatStopsSendingItsBodyLosesTheConnection()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            try
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }
            catch (Exception)
            {
                aborted.TrySetResult();
                throw;
            }
        });
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options(new Http1Limits { BodyTimeout = TimeSpan.FromSeconds(1) }));

        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789"u8.ToArray());

        // The body timeout (1 s) ends it, long before the keep-alive (75 s) or upstream (30 s) timeouts would.
        await ReadUntilClosedAsync(stream, TimeoutPatience);
        await aborted.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task AClientThatStopsReadingTheResponseLosesTheConnection()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var chunk = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            }
            catch (Exception)
            {
                aborted.TrySetResult();
            }
        });
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options(new Http1Limits { SendTimeout = TimeSpan.FromSeconds(1) }));

        using var client = await ConnectAsync(proxy, receiveBuffer: 4096);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /endless HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());

        // The client never reads: the proxy's sends stall, the send timeout ends the connection, and
        // the backend's request is aborted with it.
        await aborted.Task.WaitAsync(TimeoutPatience);
    }

    [Fact]
    public async Task StopClosesIdleConnectionsAndLetsTheRequestInFlightFinishWithConnectionClose()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/slow")
            {
                started.TrySetResult();
                await release.Task;
            }

            await context.Response.WriteAsync("done " + context.Request.Path);
        });
        var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        await using var disposeProxy = proxy;

        using var idle = await ConnectAsync(proxy);
        var idleStream = idle.GetStream();
        await idleStream.WriteAsync("GET /first HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        var first = await ReadResponseAsync(idleStream);
        Assert.Contains("done /first", first, StringComparison.Ordinal);

        using var busy = await ConnectAsync(proxy);
        var busyStream = busy.GetStream();
        await busyStream.WriteAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        await started.Task.WaitAsync(Patience);

        var stopping = proxy.Server.StopAsync();

        // The idle keep-alive connection is closed at once, without an answer.
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(idleStream));

        // No new connection is taken any more.
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAndSendAsync(proxy.Server.HttpPort));

        release.TrySetResult();
        var answer = await ReadUntilClosedAsync(busyStream);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("done /slow", DechunkedBody(answer), StringComparison.Ordinal);
        await stopping.WaitAsync(Patience);
    }

    [Fact]
    public async Task RefusedHeadsAreCountedByStatus()
    {
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        Assert.Null(await RejectedCountAsync(proxy, "400"));

        foreach (var bad in new[] { "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" })
        {
            using var client = await ConnectAsync(proxy);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(bad));
            var answer = await ReadUntilClosedAsync(stream);
            Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
        }

        using (var client = await ConnectAsync(proxy))
        {
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /" + new string('a', 9 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 414 ", await ReadUntilClosedAsync(stream), StringComparison.Ordinal);
        }

        Assert.Equal(2, await RejectedCountAsync(proxy, "400"));
        Assert.Equal(1, await RejectedCountAsync(proxy, "414"));
    }

    private static async Task ConnectAndSendAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        var buffer = new byte[1];
        using var deadline = new CancellationTokenSource(Patience);
        if (await stream.ReadAsync(buffer, deadline.Token) == 0)
        {
            throw new SocketException((int)SocketError.ConnectionReset);
        }
    }

    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        // Enough for one small chunked answer: read until the terminating chunk.
        using var deadline = new CancellationTokenSource(Patience);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, deadline.Token);
            Assert.NotEqual(0, read);
            received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    private static string DechunkedBody(string response)
    {
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var result = new StringBuilder();
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = int.Parse(body[..lineEnd], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(body, lineEnd + 2, size);
            body = body[(lineEnd + 2 + size + 2)..];
        }
    }

    private static async Task<double?> RejectedCountAsync(ProxyHarness proxy, string code)
    {
        var text = await proxy.AdminClient.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("gatehouse_http1_rejected_requests_total{", StringComparison.Ordinal)
            && l.Contains($"code=\"{code}\"", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}
