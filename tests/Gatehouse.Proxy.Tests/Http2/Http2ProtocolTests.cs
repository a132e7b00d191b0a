using System.Text;
using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Http2.Infrastructure;
using static Gatehouse.Tests.Http2.Infrastructure.Http2FrameWriter;

namespace Gatehouse.Tests.Http2;

/// <summary>Connection setup and RFC 9113's frame and stream rules, as the proxy's own HTTP/2 server enforces them.</summary>
public sealed class Http2ProtocolTests
{
    private static byte[] GetBlock(string path = "/id/a") => TestHpackEncoder.Encode(RawHttp2Connection.Request("GET", path));

    [Fact]
    public async Task ServerPrefaceAdvertisesTheDefaultLimitsRaisesTheConnectionWindowAndAcksTheClient()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync(handshake: false);
        await connection.SendPrefaceAsync();
        await connection.SendSettingsAsync((H2.HeaderTableSize, 4096));

        var settings = await connection.ReadFrameAsync();
        Assert.NotNull(settings);
        Assert.Equal((H2.Settings, 0, 0), (settings.Type, settings.Flags & H2.Ack, settings.StreamId));
        var values = settings.Settings().ToDictionary(s => s.Id, s => s.Value);
        Assert.Equal(128u, values[H2.MaxConcurrentStreams]);
        Assert.Equal(786432u, values[H2.InitialWindowSize]);
        Assert.Equal(65536u, values[H2.MaxHeaderListSize]);

        var windowUpdate = await connection.ReadFrameAsync();
        Assert.NotNull(windowUpdate);
        Assert.Equal((H2.WindowUpdate, 0), (windowUpdate.Type, windowUpdate.StreamId));
        Assert.Equal(1048576 - 65535, windowUpdate.WindowIncrement);

        // Our SETTINGS are acknowledged (whatever else comes first).
        Http2Frame? frame;
        do
        {
            frame = await connection.ReadFrameAsync();
            Assert.NotNull(frame);
        }
        while (!(frame.Type == H2.Settings && frame.HasFlag(H2.Ack)));
        Assert.Empty(frame.Payload);
    }

    [Fact]
    public async Task ServerSettingsFollowTheConfiguredLimits()
    {
        await using var setup = await Http2Setup.StartAsync(new Http2Limits
        {
            MaxConcurrentStreams = 7,
            InitialStreamWindowSize = 100_000,
            InitialConnectionWindowSize = 2 * 1024 * 1024,
            MaxHeaderListSize = 20_000,
        });
        var connection = await setup.ConnectAsync(handshake: false);
        await connection.SendPrefaceAsync();
        await connection.SendSettingsAsync();

        var settings = await connection.ReadFrameAsync();
        Assert.NotNull(settings);
        var values = settings.Settings().ToDictionary(s => s.Id, s => s.Value);
        Assert.Equal((7u, 100_000u, 20_000u), (values[H2.MaxConcurrentStreams], values[H2.InitialWindowSize], values[H2.MaxHeaderListSize]));
        var windowUpdate = await connection.ReadFrameAsync();
        Assert.NotNull(windowUpdate);
        Assert.Equal((H2.WindowUpdate, 0, 2 * 1024 * 1024 - 65535), (windowUpdate.Type, windowUpdate.StreamId, windowUpdate.WindowIncrement));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: gatehouse.test\r\n\r\n")]
    [InlineData("PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nXY\r\n\r\n")]
    public async Task BadPrefaceClosesTheConnectionAndReachesNoBackend(string preface)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync(handshake: false);
        await connection.SendRawAsync(Encoding.ASCII.GetBytes(preface));
        await connection.SendRawAsync(Headers(1, GetBlock(), endStream: true));

        // A GOAWAY is optional here (the peer may not speak HTTP/2 at all), but if sent it says PROTOCOL_ERROR.
        var frames = await connection.WaitForCloseAsync();
        Assert.All(frames.Where(f => f.Type == H2.GoAway), f => Assert.Equal(H2.ProtocolError, f.ErrorCode));
        Assert.DoesNotContain(frames, f => f.Type == H2.Headers);
        Assert.Equal(0, setup.Backend.Count);
    }

    [Fact]
    public async Task FirstFrameAfterThePrefaceMustBeSettings()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync(handshake: false);
        await connection.SendPrefaceAsync();
        await connection.SendPingAsync(new byte[8]);

        Assert.Equal(H2.ProtocolError, (await connection.ExpectGoAwayAsync()).ErrorCode);
        await connection.WaitForCloseAsync();
    }

    public static TheoryData<string> FrameSizeErrors => new()
    {
        "frame-over-16384", "settings-not-multiple-of-6", "settings-ack-with-payload", "ping-7-bytes", "ping-9-bytes",
        "window-update-3-bytes", "window-update-5-bytes", "rst-stream-3-bytes", "rst-stream-5-bytes",
    };

    [Theory]
    [MemberData(nameof(FrameSizeErrors))]
    public async Task FrameSizeErrorEndsTheConnection(string error)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        var slow = Headers(1, GetBlock("/slow"), endStream: true);
        byte[] bytes = error switch
        {
            // A HEADERS frame one byte over the default SETTINGS_MAX_FRAME_SIZE (padding makes up the length).
            "frame-over-16384" => Frame(H2.Headers, H2.EndHeaders | H2.EndStream | H2.Padded, 1, [(byte)200, .. GetBlock(), .. new byte[16384 - GetBlock().Length]]),
            "settings-not-multiple-of-6" => Frame(H2.Settings, 0, 0, new byte[7]),
            "settings-ack-with-payload" => Frame(H2.Settings, H2.Ack, 0, new byte[6]),
            "ping-7-bytes" => Frame(H2.Ping, 0, 0, new byte[7]),
            "ping-9-bytes" => Frame(H2.Ping, 0, 0, new byte[9]),
            "window-update-3-bytes" => Frame(H2.WindowUpdate, 0, 0, [0, 0, 1]),
            "window-update-5-bytes" => Frame(H2.WindowUpdate, 0, 0, [0, 0, 0, 1, 0]),
            "rst-stream-3-bytes" => [.. slow, .. Frame(H2.RstStream, 0, 1, [0, 0, 8])],
            "rst-stream-5-bytes" => [.. slow, .. Frame(H2.RstStream, 0, 1, [0, 0, 0, 8, 0])],
            _ => throw new ArgumentOutOfRangeException(nameof(error)),
        };
        if (error == "frame-over-16384")
        {
            Assert.Equal(16385, bytes.Length - 9);
        }

        await connection.SendRawAsync(bytes);

        Assert.Equal(H2.ErrorName(H2.FrameSizeError), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
    }

    public static TheoryData<string> ConnectionErrors => new()
    {
        "headers-on-even-stream", "stream-id-lower-than-before", "data-on-stream-0", "data-on-idle-stream", "push-promise-from-client",
        "enable-push-2", "initial-window-size-2^31", "max-frame-size-1000", "max-frame-size-2^24",
        "padded-headers-pad-equals-payload", "padded-headers-pad-over-payload", "padded-data-pad-equals-payload",
        "header-block-interrupted-by-headers-on-other-stream", "header-block-interrupted-by-data", "header-block-interrupted-by-ping",
        "continuation-on-other-stream", "continuation-without-headers", "continuation-after-end-headers",
    };

    [Theory]
    [MemberData(nameof(ConnectionErrors))]
    public async Task ConnectionErrorEndsTheConnectionWithGoAway(string error)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        var block = GetBlock();
        var post = TestHpackEncoder.Encode(RawHttp2Connection.Request("POST", "/upload"));
        var expected = error == "initial-window-size-2^31" ? H2.FlowControlError : H2.ProtocolError;
        byte[] bytes = error switch
        {
            "headers-on-even-stream" => Headers(2, block, endStream: true),
            "stream-id-lower-than-before" => [.. Headers(5, block, endStream: true), .. Headers(3, block, endStream: true)],
            "data-on-stream-0" => Data(0, "x"u8, endStream: false),
            "data-on-idle-stream" => Data(7, "x"u8, endStream: true),
            "push-promise-from-client" => [.. Headers(1, GetBlock("/slow"), endStream: true), .. Frame(H2.PushPromise, H2.EndHeaders, 1, [0, 0, 0, 2, .. block])],
            "enable-push-2" => Settings((H2.EnablePush, 2)),
            "initial-window-size-2^31" => Settings((H2.InitialWindowSize, 1u << 31)),
            "max-frame-size-1000" => Settings((H2.MaxFrameSize, 1000)),
            "max-frame-size-2^24" => Settings((H2.MaxFrameSize, 1u << 24)),
            "padded-headers-pad-equals-payload" => Frame(H2.Headers, H2.EndHeaders | H2.EndStream | H2.Padded, 1, [(byte)(1 + block.Length), .. block]),
            "padded-headers-pad-over-payload" => Frame(H2.Headers, H2.EndHeaders | H2.EndStream | H2.Padded, 1, [(byte)(2 + block.Length), .. block]),
            "padded-data-pad-equals-payload" => [.. Headers(1, post, endStream: false), .. Frame(H2.Data, H2.Padded, 1, [4, 1, 2, 3])],
            "header-block-interrupted-by-headers-on-other-stream" => [.. Headers(1, block[..5], endStream: true, endHeaders: false), .. Headers(3, block, endStream: true)],
            "header-block-interrupted-by-data" => [.. Headers(1, post[..5], endStream: false, endHeaders: false), .. Data(1, "x"u8, endStream: true)],
            "header-block-interrupted-by-ping" => [.. Headers(1, block[..5], endStream: true, endHeaders: false), .. Ping(new byte[8])],
            "continuation-on-other-stream" => [.. Headers(1, block[..5], endStream: true, endHeaders: false), .. Continuation(3, block[5..], endHeaders: true)],
            "continuation-without-headers" => Continuation(1, block, endHeaders: true),
            "continuation-after-end-headers" => [.. Headers(1, GetBlock("/slow"), endStream: true), .. Continuation(1, TestHpackEncoder.Encode(("x-late", "1")), endHeaders: true)],
            _ => throw new ArgumentOutOfRangeException(nameof(error)),
        };
        await connection.SendRawAsync(bytes);

        Assert.Equal(H2.ErrorName(expected), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
    }

    [Fact]
    public async Task DataAfterEndStreamIsStreamClosed()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/slow"), endStream: true);
        await setup.Backend.WaitForSlowRequestsAsync();

        await connection.SendDataAsync(1, "late"u8.ToArray(), endStream: false);

        var (_, code) = await connection.ExpectStreamOrConnectionErrorAsync(1);
        Assert.Equal(H2.ErrorName(H2.StreamClosed), H2.ErrorName(code));
    }

    [Fact]
    public async Task UnknownFrameTypesAndSettingsAreIgnored()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync(handshake: true, (0x99, 5), (0xf00d, 0xffffffff));
        await connection.SendFrameAsync(0xfa, 0xff, 0, new byte[100]);
        await connection.SendFrameAsync(0xfa, 0x00, 1, new byte[3]);
        await connection.SendSettingsAsync((0x4242, 1));

        var response = await Http2Setup.GetAsync(connection, 1, "/id/after-unknown");

        Assert.Equal((200, "after-unknown"), (response.Status, response.BodyText));
    }

    [Fact]
    public async Task PingIsAnsweredWithAnAckCarryingTheSameBytes()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        byte[] data = [1, 2, 3, 4, 0xfe, 0xdc, 0xba, 0x98];
        await connection.SendPingAsync(data);

        Http2Frame? frame;
        do
        {
            frame = await connection.ReadFrameAsync();
            Assert.NotNull(frame);
        }
        while (frame.Type != H2.Ping);

        Assert.Equal((H2.Ack, 0), (frame.Flags, frame.StreamId));
        Assert.Equal(data, frame.Payload);
    }
}
