using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>Flow control in both directions (RFC 9113 5.2, 6.9).</summary>
public sealed class Http2FlowControlTests
{
    [Fact]
    public async Task ResponseDataNeverExceedsTheClientsWindowsAndResumesOnWindowUpdate()
    {
        const int bodyLength = 100 * 1024;
        const int streamGrant = 1000;
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync(handshake: true, (H2.InitialWindowSize, streamGrant));
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", $"/bytes/{bodyLength}"), endStream: true);

        long streamWindow = streamGrant;
        long connectionWindow = H2.DefaultWindow;
        var body = new MemoryStream();
        var stalls = 0;
        while (true)
        {
            var frame = await connection.ReadFrameAsync();
            Assert.NotNull(frame);
            if (frame.Type == H2.Settings && !frame.HasFlag(H2.Ack))
            {
                await connection.SendSettingsAckAsync();
                continue;
            }

            Assert.NotEqual(H2.RstStream, frame.Type);
            Assert.NotEqual(H2.GoAway, frame.Type);
            if (frame.Type != H2.Data)
            {
                continue;
            }

            Assert.Equal(1, frame.StreamId);
            streamWindow -= frame.Payload.Length;
            connectionWindow -= frame.Payload.Length;
            Assert.True(streamWindow >= 0, $"the server overran the stream window by {-streamWindow} bytes");
            Assert.True(connectionWindow >= 0, $"the server overran the connection window by {-connectionWindow} bytes");
            body.Write(frame.DataBytes);
            if (frame.EndStream)
            {
                break;
            }

            // Grant more only once a window is used up: the server must have stopped and waited.
            if (streamWindow == 0)
            {
                stalls++;
                await connection.SendWindowUpdateAsync(1, streamGrant);
                streamWindow += streamGrant;
            }

            if (connectionWindow < streamGrant)
            {
                await connection.SendWindowUpdateAsync(0, 65535);
                connectionWindow += 65535;
            }
        }

        Assert.Equal(Http2TestBackend.PatternBytes(bodyLength), body.ToArray());
        Assert.True(stalls >= bodyLength / streamGrant - 1, $"only {stalls} stalls");
    }

    [Fact]
    public async Task DataBeyondTheStreamWindowIsAFlowControlError()
    {
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { InitialStreamWindowSize = 1000 });
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("POST", "/upload"), endStream: false);

        // One frame of 2,000 bytes into a window of 1,000: no WINDOW_UPDATE can have made room for it.
        await connection.SendDataAsync(1, new byte[2000], endStream: false);

        var (_, code) = await connection.ExpectStreamOrConnectionErrorAsync(1);
        Assert.Equal(H2.ErrorName(H2.FlowControlError), H2.ErrorName(code));
    }

    [Fact]
    public async Task WindowUpdateOverflowingAStreamWindowResetsTheStream()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/slow"), endStream: true);
        await setup.Backend.WaitForSlowRequestsAsync();

        // The stream's send window is 65,535: adding 2^31-1 overflows it.
        await connection.SendWindowUpdateAsync(1, int.MaxValue);

        Assert.Equal(H2.ErrorName(H2.FlowControlError), H2.ErrorName(await connection.ExpectRstStreamAsync(1)));
        Assert.Equal(200, (await Http2Setup.GetAsync(connection, 3)).Status);
    }

    [Fact]
    public async Task WindowUpdateOverflowingTheConnectionWindowEndsTheConnection()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendWindowUpdateAsync(0, int.MaxValue);

        Assert.Equal(H2.ErrorName(H2.FlowControlError), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
    }

    [Fact]
    public async Task WindowUpdateOfZeroOnTheConnectionIsAProtocolError()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendWindowUpdateAsync(0, 0);

        Assert.Equal(H2.ErrorName(H2.ProtocolError), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
    }

    [Fact]
    public async Task ServerReopensItsWindowsWhileReadingALargeRequestBody()
    {
        // 5 MB through windows of 768 KiB (stream) and 1 MiB (connection): it only completes if the
        // server sends WINDOW_UPDATEs as it forwards the body.
        var body = Http2TestBackend.PatternBytes(5 * 1024 * 1024);
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("POST", "/upload"), endStream: false);
        await connection.SendBodyAsync(1, body, endStream: true);

        var response = await connection.ReadResponseAsync(1);

        Assert.Equal((200, Http2TestBackend.UploadAnswer(body)), (response.Status, response.BodyText));
    }

    [Fact]
    public async Task DataBeyondTheConnectionWindowIsAConnectionFlowControlError()
    {
        // The connection window is not raised (65,535) while the stream's is 768 KiB, and the body is not read
        // ("expect: 100-continue" to a backend that has not answered yet), so no WINDOW_UPDATE can have made
        // room: the fourth 16,384-byte frame overruns the connection window by one byte.
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { InitialConnectionWindowSize = 65_535 });
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("POST", "/slow", extra: [("expect", "100-continue")]), endStream: false);
        await setup.Backend.WaitForSlowRequestsAsync();
        for (var i = 0; i < 4; i++)
        {
            await connection.SendDataAsync(1, new byte[16_384], endStream: false);
        }

        var goAway = await connection.ExpectGoAwayAsync();
        Assert.Equal(H2.ErrorName(H2.FlowControlError), H2.ErrorName(goAway.ErrorCode));
    }
}
