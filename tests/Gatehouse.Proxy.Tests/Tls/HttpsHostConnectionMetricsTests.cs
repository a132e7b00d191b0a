using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// The own HTTPS listener runs the connection-counting middleware Kestrel's ran (before TLS): accepted
/// and open connections include HTTPS clients, and a connection that leaves, handshake finished or
/// not, is no longer open.
/// </summary>
public sealed class HttpsHostConnectionMetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task HttpsConnectionsAreCountedAcceptedAndActiveUntilTheyClose()
    {
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), ProxyHarness.LocalOptions() with { HttpsPort = 0 });
        Assert.True(proxy.Server.ServesHttpsItself);
        Assert.Equal((0, 0), await CountsAsync(proxy));

        var http1 = await TlsProbe.ConnectAsync(proxy.Server.HttpsPort, "app.example.com");
        Assert.StartsWith("HTTP/1.1 200", await http1.GetAsync("app.example.com", "/"), StringComparison.Ordinal);
        var h2 = await Http2.Infrastructure.RawHttp2Connection.ConnectTlsAsync(proxy.Server.HttpsPort, "app.example.com");
        await h2.HandshakeAsync();

        // A client still in its handshake is open too.
        var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, proxy.Server.HttpsPort);
        await WaitForAsync(proxy, (Active: 3, Accepted: 3));

        await http1.DisposeAsync();
        await h2.DisposeAsync();
        silent.Dispose();
        await WaitForAsync(proxy, (Active: 0, Accepted: 3));
    }

    private static async Task WaitForAsync(ProxyHarness proxy, (double Active, double Accepted) expected)
    {
        // The counts follow the server's side of each connection, which ends a little after the client's.
        using var deadline = new CancellationTokenSource(Patience);
        (double, double) counts;
        while ((counts = await CountsAsync(proxy)) != expected)
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"connections (active, accepted) stayed at {counts}, expected {expected}");
            }
        }
    }

    private static async Task<(double Active, double Accepted)> CountsAsync(ProxyHarness proxy)
    {
        var lines = (await proxy.AdminClient.GetStringAsync("/metrics")).Split('\n');
        return (Value(lines, "gatehouse_active_connections "), Value(lines, "gatehouse_connections_accepted_total "));
    }

    private static double Value(string[] lines, string prefix)
    {
        var line = lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }
}
