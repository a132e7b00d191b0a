using System.Globalization;
using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>What the proxy's own HTTP/2 server reports on /metrics about the errors it ended streams and connections for.</summary>
public sealed class Http2TelemetryTests
{
    private static async Task<double?> ErrorCountAsync(Http2Setup setup, string scope, string code)
    {
        var text = await setup.Proxy.AdminClient.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("gatehouse_http2_errors_total{", StringComparison.Ordinal)
            && l.Contains($"scope=\"{scope}\"", StringComparison.Ordinal) && l.Contains($"code=\"{code}\"", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task StreamAndConnectionErrorsAreCountedByScopeAndCode()
    {
        await using var setup = await Http2Setup.StartAsync();
        Assert.Null(await ErrorCountAsync(setup, "stream", "PROTOCOL_ERROR"));

        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/id/a", extra: ("connection", "close")), endStream: true);
        Assert.Equal(H2.ProtocolError, await connection.ExpectRstStreamAsync(1));
        await connection.SendPingAsync(new byte[7]);
        Assert.Equal(H2.FrameSizeError, (await connection.ExpectGoAwayAsync()).ErrorCode);
        await connection.WaitForCloseAsync();

        Assert.Equal(1, await ErrorCountAsync(setup, "stream", "PROTOCOL_ERROR"));
        Assert.Equal(1, await ErrorCountAsync(setup, "connection", "FRAME_SIZE_ERROR"));
    }
}
