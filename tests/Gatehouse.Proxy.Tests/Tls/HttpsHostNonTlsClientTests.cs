using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Tls;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// What is not a TLS client on the HTTPS port (plain HTTP, a port scanner, a broken record) is dropped
/// on its own: the proxy logs it as a failed handshake, not as a failed connection, and keeps serving
/// the TLS clients it already has and new ones.
/// </summary>
public sealed class HttpsHostNonTlsClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public enum Garbage
    {
        PlainHttp,
        NothingThenClose,
        HandshakeHeaderThenClose,
        HandshakeRecordOfRandomBytes,
        ApplicationDataRecord,
    }

    [Theory]
    [InlineData(Garbage.PlainHttp)]
    [InlineData(Garbage.NothingThenClose)]
    [InlineData(Garbage.HandshakeHeaderThenClose)]
    [InlineData(Garbage.HandshakeRecordOfRandomBytes)]
    [InlineData(Garbage.ApplicationDataRecord)]
    public async Task ANonTlsClientIsDroppedAndTheProxyKeepsServing(Garbage garbage)
    {
        using var logs = new CapturingLoggerProvider(typeof(HttpsHost).FullName!);
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = new ProxyServer(ProxyHarness.LocalOptions() with { HttpsPort = 0 }, loggerFactory);
        await proxy.StartAsync();
        proxy.ApplyConfig(Configs.CatchAll(Configs.Backend("b", backend.Endpoint)));
        Assert.True(proxy.ServesHttpsItself);

        // A TLS client already connected, kept alive across the garbage.
        await using var before = await TlsProbe.ConnectAsync(proxy.HttpsPort, "app.example.com");
        Assert.StartsWith("HTTP/1.1 200", await before.GetAsync("app.example.com", "/before"), StringComparison.Ordinal);

        using (var client = new TcpClient { NoDelay = true })
        {
            await client.ConnectAsync(IPAddress.Loopback, proxy.HttpsPort);
            var stream = client.GetStream();
            await stream.WriteAsync(Bytes(garbage));
            if (garbage is Garbage.NothingThenClose or Garbage.HandshakeHeaderThenClose)
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }

            // No HTTP answer: whatever comes back (a TLS alert at most) is not a response.
            var answer = await ReadUntilClosedAsync(stream);
            Assert.False(answer.AsSpan().StartsWith("HTTP/"u8), "the HTTPS port answered in cleartext");
        }

        Assert.StartsWith("HTTP/1.1 200", await before.GetAsync("app.example.com", "/after"), StringComparison.Ordinal);
        await using (var next = await TlsProbe.ConnectAsync(proxy.HttpsPort, "app.example.com"))
        {
            Assert.StartsWith("HTTP/1.1 200", await next.GetAsync("app.example.com", "/next"), StringComparison.Ordinal);
        }

        Assert.Contains(logs.Logger.Lines, l => l.Level == LogLevel.Debug && l.Message.Contains("the TLS handshake failed", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Logger.Lines, l => l.Level >= LogLevel.Warning);
    }

    private static byte[] Bytes(Garbage garbage) => garbage switch
    {
        Garbage.PlainHttp => "GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n"u8.ToArray(),
        Garbage.NothingThenClose => [],

        // Announces the largest record, then the client leaves: the peek waits, then sees the end.
        Garbage.HandshakeHeaderThenClose => [0x16, 0x03, 0x01, 0xFF, 0xFF],
        Garbage.HandshakeRecordOfRandomBytes => [0x16, 0x03, 0x01, 0x01, 0x00, .. RandomNumberGenerator.GetBytes(256)],
        Garbage.ApplicationDataRecord => [0x17, 0x03, 0x03, 0x00, 0x10, .. RandomNumberGenerator.GetBytes(16)],
        _ => throw new ArgumentOutOfRangeException(nameof(garbage)),
    };

    private static async Task<byte[]> ReadUntilClosedAsync(NetworkStream stream)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var received = new MemoryStream();
        var buffer = new byte[4096];
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

        return received.ToArray();
    }
}
