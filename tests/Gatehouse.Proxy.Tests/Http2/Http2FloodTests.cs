using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Http2.Infrastructure;
using static Gatehouse.Tests.Http2.Infrastructure.Http2FrameWriter;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// Abuse a single connection can attempt: rapid reset (CVE-2023-44487), too many streams, CONTINUATION
/// floods, control-frame floods. Each ends in ENHANCE_YOUR_CALM (or REFUSED_STREAM) before the server
/// has done or buffered much work.
/// </summary>
public sealed class Http2FloodTests
{
    private static byte[] GetBlock(string path) => TestHpackEncoder.Encode(RawHttp2Connection.Request("GET", path));

    [Fact]
    public async Task RapidResetEndsTheConnectionWithEnhanceYourCalmBeforeTheBackendSeesMostStreams()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        var block = GetBlock("/id/reset");
        var frames = Enumerable.Range(0, 1000).SelectMany(i => new[]
        {
            Headers(1 + 2 * i, block, endStream: true),
            RstStream(1 + 2 * i, H2.Cancel),
        });
        foreach (var batch in frames.Chunk(100))
        {
            if (!await connection.TrySendRawAsync(Concat(batch)))
            {
                break;
            }
        }

        Assert.Equal(H2.ErrorName(H2.EnhanceYourCalm), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();

        // Default ResetBurst is 200: far fewer than 1,000 streams may have been forwarded.
        Assert.True(setup.Backend.Count < 400, $"the backend received {setup.Backend.Count} of the 1,000 reset streams");

        // Other connections are served.
        var other = await setup.ConnectAsync();
        Assert.Equal(200, (await Http2Setup.GetAsync(other, 1)).Status);
    }

    [Fact]
    public async Task StreamsOverTheConcurrencyLimitAreRefused()
    {
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { MaxConcurrentStreams = 4 });
        var connection = await setup.ConnectAsync();
        for (var stream = 1; stream <= 7; stream += 2)
        {
            await connection.SendHeadersAsync(stream, RawHttp2Connection.Request("GET", "/slow"), endStream: true);
        }

        await setup.Backend.WaitForSlowRequestsAsync(4);
        await connection.SendHeadersAsync(9, RawHttp2Connection.Request("GET", "/slow"), endStream: true);

        Assert.Equal(H2.ErrorName(H2.RefusedStream), H2.ErrorName(await connection.ExpectRstStreamAsync(9)));
        setup.Backend.ReleaseSlow();
        for (var stream = 1; stream <= 7; stream += 2)
        {
            var response = await connection.ReadResponseAsync(stream);
            Assert.Equal((200, "released"), (response.Status, response.BodyText));
        }

        Assert.Equal(4, setup.Backend.Count);
    }

    [Fact]
    public async Task ContinuationFloodPastTheHeaderBlockLimitIsStopped()
    {
        // Frame count out of the way: the block's size (128 KiB) is what must stop this.
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { MaxContinuationFrames = 100_000 });
        var connection = await setup.ConnectAsync();
        await connection.SendHeaderBlockAsync(1, GetBlock("/id/flood"), endStream: true, endHeaders: false);

        // Up to 1 MB of 1 KB CONTINUATIONs, never END_HEADERS: a server that buffers without bound never answers.
        var fragment = TestHpackEncoder.Encode(("x-flood", new string('f', 1024 - 12)));
        Assert.Equal(1024, fragment.Length);
        await SendUntilGoAwayAsync(connection, Enumerable.Range(0, 1024).Select(_ => Continuation(1, fragment, endHeaders: false)));

        Assert.Equal(H2.ErrorName(H2.EnhanceYourCalm), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
        Assert.Equal(0, setup.Backend.Count);
    }

    [Fact]
    public async Task EmptyContinuationFloodIsStoppedAfterTheFrameLimit()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        var block = GetBlock("/id/flood");
        await connection.SendHeaderBlockAsync(1, block[..4], endStream: true, endHeaders: false);

        // 1,000 zero-length CONTINUATIONs, far past MaxContinuationFrames (64).
        await SendUntilGoAwayAsync(connection, Enumerable.Range(0, 1000).Select(_ => Continuation(1, [], endHeaders: false)));

        Assert.Equal(H2.ErrorName(H2.EnhanceYourCalm), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
        Assert.Equal(0, setup.Backend.Count);
    }

    [Theory]
    [InlineData("ping")]
    [InlineData("settings")]
    [InlineData("priority")]
    [InlineData("empty-data")]
    public async Task ControlFrameFloodEndsTheConnectionWithEnhanceYourCalm(string kind)
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        if (kind == "empty-data")
        {
            await connection.SendHeadersAsync(1, RawHttp2Connection.Request("POST", "/upload"), endStream: false);
        }

        byte[] frame = kind switch
        {
            "ping" => Ping(new byte[8]),
            "settings" => Settings(),
            "priority" => Priority(3, 0, 16),
            "empty-data" => Data(1, [], endStream: false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await SendUntilGoAwayAsync(connection, Enumerable.Repeat(frame, 5000));

        Assert.Equal(H2.ErrorName(H2.EnhanceYourCalm), H2.ErrorName((await connection.ExpectGoAwayAsync()).ErrorCode));
        await connection.WaitForCloseAsync();
    }

    [Fact]
    public async Task FiftyPingsAreAllAnsweredAndTheConnectionKeepsWorking()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendRawAsync(Concat(Enumerable.Range(0, 50).Select(i => Ping(BitConverter.GetBytes((long)i)))));

        var acked = new List<long>();
        while (acked.Count < 50)
        {
            var frame = await connection.ReadFrameAsync();
            Assert.NotNull(frame);
            Assert.NotEqual(H2.GoAway, frame.Type);
            if (frame.Type == H2.Ping)
            {
                Assert.True(frame.HasFlag(H2.Ack));
                acked.Add(BitConverter.ToInt64(frame.Payload));
            }
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), acked);
        Assert.Equal(200, (await Http2Setup.GetAsync(connection, 1)).Status);
    }

    /// <summary>Sends <paramref name="frames"/> in batches, stopping early once a GOAWAY has come in or the server closed.</summary>
    private static async Task SendUntilGoAwayAsync(RawHttp2Connection connection, IEnumerable<byte[]> frames)
    {
        foreach (var batch in frames.Chunk(16))
        {
            if (connection.HasReceived(f => f.Type == H2.GoAway) || !await connection.TrySendRawAsync(Concat(batch)))
            {
                return;
            }
        }
    }
}
