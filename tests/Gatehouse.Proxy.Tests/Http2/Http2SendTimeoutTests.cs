using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Http2.Infrastructure;
using static Gatehouse.Tests.Http2.Infrastructure.Http2FrameWriter;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// A client that holds up what the server sends (does not read, or never opens its flow-control window)
/// cannot hold a connection, a backend request and their buffers for ever: the send timeout ends them.
/// </summary>
public sealed class Http2SendTimeoutTests
{
    private static readonly Http2Limits ShortSendTimeout = new() { SendTimeout = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task AResponseTheClientNeverOpensItsWindowForIsResetAndTheConnectionGoesOn()
    {
        await using var setup = await Http2Setup.StartAsync(ShortSendTimeout);
        var connection = await setup.ConnectAsync();

        // 200 KB against the default 65,535-byte stream window, and no WINDOW_UPDATE ever.
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/bytes/200000"), endStream: true);

        // The head and the first 65,535 bytes come, then nothing until the server gives up on the stream.
        long data = 0;
        while (true)
        {
            var frame = await connection.ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("the connection closed");
            if (frame.StreamId != 1)
            {
                continue;
            }

            if (frame.Type == H2.RstStream)
            {
                Assert.Equal(H2.ErrorName(H2.InternalError), H2.ErrorName(frame.ErrorCode));
                break;
            }

            Assert.False(frame.EndStream, "the response ended although the client opened no window");
            if (frame.Type == H2.Data)
            {
                data += frame.DataBytes.Length;
            }
        }

        Assert.Equal(65_535, data);

        // Stream 1's bytes used up the connection's window too: that one the client does give back.
        await connection.SendWindowUpdateAsync(0, 65_535);
        Assert.Equal(200, (await Http2Setup.GetAsync(connection, 3)).Status);
    }

    [Fact]
    public async Task AClientThatStopsReadingLosesTheConnection()
    {
        await using var setup = await Http2Setup.StartAsync(ShortSendTimeout);
        using var client = new TcpClient { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(IPAddress.Loopback, setup.Port);
        var stream = client.GetStream();

        // Windows as large as the protocol allows, then a 100 MB response, then no reading at all.
        var frames = Concat([
            Encoding.ASCII.GetBytes(H2.Preface),
            Settings((H2.InitialWindowSize, (uint)int.MaxValue)),
            WindowUpdate(0, (uint)(int.MaxValue - 65_535)),
            Headers(1, TestHpackEncoder.Encode(RawHttp2Connection.Request("GET", "/bytes/100000000")), endStream: true),
        ]);
        await stream.WriteAsync(frames);

        // The client does nothing until the server has given up on it (the connection is no longer
        // counted as open), then reads what was sent before: the socket ends short of the body.
        var telemetry = setup.Proxy.Server.Telemetry;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (telemetry.ActiveConnections == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server never counted the connection");
            await Task.Delay(10);
        }

        while (telemetry.ActiveConnections != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server still holds the connection of a client that stopped reading");
            await Task.Delay(50);
        }

        var buffer = new byte[256 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
            {
                total += read;
            }
        }
        catch (IOException)
        {
            // A reset is as good as an end.
        }

        Assert.True(total < 100_000_000, $"the whole body arrived ({total} bytes) from a client that stopped reading");
    }
}
