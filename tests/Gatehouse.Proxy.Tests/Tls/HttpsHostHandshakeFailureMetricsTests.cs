using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// Handshakes the own HTTPS listener gives up on are counted by reason, so an operator sees clients
/// failing after an ssl-protocols change, or port scanners, without Debug logs.
/// </summary>
public sealed class HttpsHostHandshakeFailureMetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task FailedHandshakesAreCountedByReason()
    {
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = new ProxyServer(
            ProxyHarness.LocalOptions() with { HttpsPort = 0, TlsHandshakeTimeout = TimeSpan.FromSeconds(1) },
            NullLoggerFactory.Instance);
        await proxy.StartAsync();
        proxy.ApplyConfig(Configs.CatchAll(Configs.Backend("b", backend.Endpoint)));
        Assert.True(proxy.ServesHttpsItself);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxy.AdminPort}") };

        // Plain HTTP on the HTTPS port: not TLS.
        await SendAndWaitForCloseAsync(proxy.HttpsPort, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        await WaitForCountAsync(admin, "protocol", 1);

        // Half a ClientHello, then the client goes.
        var hello = await ClientHelloClient.CaptureAsync("app.example.com");
        using (var client = new TcpClient { NoDelay = true })
        {
            await client.ConnectAsync(IPAddress.Loopback, proxy.HttpsPort);
            await client.GetStream().WriteAsync(hello.AsMemory(0, hello.Length / 2));
        }

        await WaitForCountAsync(admin, "closed", 1);

        // Nothing at all, until the handshake timeout.
        await SendAndWaitForCloseAsync(proxy.HttpsPort, []);
        await WaitForCountAsync(admin, "timeout", 1);

        // A handshake that completes is not a failure.
        await using var next = await TlsProbe.ConnectAsync(proxy.HttpsPort, "app.example.com");
        Assert.StartsWith("HTTP/1.1 200", await next.GetAsync("app.example.com", "/"), StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(admin, "protocol"));
        Assert.Equal(1, await CountAsync(admin, "closed"));
        Assert.Equal(1, await CountAsync(admin, "timeout"));
    }

    private static async Task SendAndWaitForCloseAsync(int port, byte[] bytes)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes);
        using var deadline = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
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
    }

    // The server counts a failure after it closed the socket, so the count is awaited, not read once.
    private static async Task WaitForCountAsync(HttpClient admin, string reason, long expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await CountAsync(admin, reason) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"gatehouse_tls_handshake_failures_total{{reason=\"{reason}\"}} never reached {expected}");
            await Task.Delay(20);
        }
    }

    private static async Task<long> CountAsync(HttpClient admin, string reason)
    {
        var prefix = $"gatehouse_tls_handshake_failures_total{{reason=\"{reason}\"}} ";
        var line = (await admin.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
