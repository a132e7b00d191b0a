using System.Text;
using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>Flow-control accounting and stream-state corners found in review (RFC 9113 5.1, 6.1, 6.9).</summary>
public sealed class Http2ReviewTests
{
    private static List<(string Name, string Value)> Post(string path, params (string, string)[] extra)
        => RawHttp2Connection.Request("POST", path, extra: extra);

    [Fact]
    public async Task PaddingInRequestDataIsGivenBackToTheStreamWindow()
    {
        // Half of every frame is padding: were padding never given back to the stream, the client's view of
        // the stream window would run dry with less than half a window of data consumed, and the server
        // (which waits for half a window) would never send a stream WINDOW_UPDATE.
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { InitialStreamWindowSize = 16_384 });
        var connection = await setup.ConnectAsync();
        var body = Http2TestBackend.PatternBytes(64 * 1024);
        await connection.SendHeadersAsync(1, Post("/upload"), endStream: false);

        await connection.SendPaddedBodyAsync(1, body, padLength: 255, maxFrameLength: 511, endStream: true);

        var response = await connection.ReadResponseAsync(1);
        Assert.Equal(200, response.Status);
        Assert.Equal(Http2TestBackend.UploadAnswer(body), Encoding.ASCII.GetString(response.Body));
    }

    [Fact]
    public async Task DataThatEndsAStreamWithAStreamErrorStillCountsAgainstAndReturnsToTheConnectionWindow()
    {
        // The connection window is not raised, so every byte of it is needed. Three streams are reset for DATA
        // beyond their content-length: the client has spent 3 x 16,384 bytes of the connection window on
        // frames the server must account for (RFC 9113 6.9) and give back.
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { InitialConnectionWindowSize = 65_535 });
        var connection = await setup.ConnectAsync();
        foreach (var streamId in new[] { 1, 3, 5 })
        {
            await connection.SendHeadersAsync(streamId, Post("/upload", ("content-length", "10")), endStream: false);
            await connection.SendDataAsync(streamId, new byte[16_384], endStream: false);
            var (isGoAway, code) = await connection.ExpectStreamOrConnectionErrorAsync(streamId);
            Assert.False(isGoAway);
            Assert.Equal(H2.ErrorName(H2.ProtocolError), H2.ErrorName(code));
        }

        // 16,383 bytes of connection window are left; this body needs more, which only WINDOW_UPDATEs give.
        var body = Http2TestBackend.PatternBytes(40_000);
        await connection.SendHeadersAsync(7, Post("/upload"), endStream: false);
        await connection.SendBodyAsync(7, body, endStream: true);

        var response = await connection.ReadResponseAsync(7);
        Assert.Equal(Http2TestBackend.UploadAnswer(body), Encoding.ASCII.GetString(response.Body));
    }

    [Fact]
    public async Task TrailersArrivingAfterTheServerResetTheStreamAreIgnored()
    {
        // The response ends before the request body (the backend answers "expect: 100-continue" with its final
        // response, so the body is never read): the server resets the stream with NO_ERROR (RFC 9113 8.1).
        // Trailers the client had already sent arrive on a stream the server reset: it MUST ignore them
        // (RFC 9113 5.1, "closed"), decoding them for HPACK's sake, and the connection goes on.
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, Post("/id/early", ("expect", "100-continue")), endStream: false);
        await connection.SendDataAsync(1, "abc"u8.ToArray(), endStream: false);
        var response = await connection.ReadResponseAsync(1);
        Assert.Equal("early", Encoding.ASCII.GetString(response.Body));
        Assert.Equal(H2.ErrorName(H2.NoError), H2.ErrorName(await connection.ExpectRstStreamAsync(1)));

        // With indexing, so that a server that skipped the block would fall out of step with the encoder.
        await connection.SendHeaderBlockAsync(1, TestHpackEncoder.Encode([("x-checksum", "abc123")]), endStream: true);

        var next = await Http2Setup.GetAsync(connection, 3, "/id/after");
        Assert.Equal("after", Encoding.ASCII.GetString(next.Body));
    }

    [Fact]
    public async Task TrailersWhoseContinuationArrivesAfterTheStreamFinishedAreIgnored()
    {
        // The trailers' HEADERS reaches the server while the handler still runs; the handler then finishes (the
        // backend answers "expect: 100-continue" with its final response, so the body is never read) and the
        // stream is recycled before the block's CONTINUATION arrives. The block must not be decoded into the
        // recycled stream, and the connection goes on.
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, Post("/slow", ("expect", "100-continue")), endStream: false);
        await setup.Backend.WaitForSlowRequestsAsync();

        var trailers = TestHpackEncoder.Encode([("x-checksum", "abc123")]);
        await connection.SendHeaderBlockAsync(1, trailers.AsMemory(0, 1), endStream: true, endHeaders: false);
        setup.Backend.ReleaseSlow();

        // No WINDOW_UPDATE for the response's DATA: nothing but CONTINUATION may interrupt the header block.
        var response = await connection.ReadResponseAsync(1, sendWindowUpdates: false);
        Assert.Equal("released", Encoding.ASCII.GetString(response.Body));
        Assert.Equal(H2.ErrorName(H2.NoError), H2.ErrorName(await connection.ExpectRstStreamAsync(1)));

        await connection.SendContinuationAsync(1, trailers.AsMemory(1), endHeaders: true);

        var next = await Http2Setup.GetAsync(connection, 3, "/id/after");
        Assert.Equal("after", Encoding.ASCII.GetString(next.Body));
    }
}
