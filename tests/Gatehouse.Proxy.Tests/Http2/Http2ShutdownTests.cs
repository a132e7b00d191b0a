using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Http2.Infrastructure;

namespace Gatehouse.Tests.Http2;

/// <summary>Idle and header timeouts, and graceful shutdown with a request in flight.</summary>
public sealed class Http2ShutdownTests
{
    [Fact]
    public async Task IdleConnectionGetsGoAwayNoErrorAndIsClosed()
    {
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { KeepAliveTimeout = TimeSpan.FromSeconds(1) });
        var connection = await setup.ConnectAsync();

        var goAway = await connection.ExpectGoAwayAsync();

        Assert.Equal(H2.ErrorName(H2.NoError), H2.ErrorName(goAway.ErrorCode));
        Assert.Equal(0, goAway.LastStreamId);
        await connection.WaitForCloseAsync();
    }

    [Fact]
    public async Task ConnectionWithAStreamInFlightIsNotIdle()
    {
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { KeepAliveTimeout = TimeSpan.FromSeconds(1) });
        var busy = await setup.ConnectAsync();
        await busy.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/slow"), endStream: true);
        await setup.Backend.WaitForSlowRequestsAsync();

        // A younger connection without streams is the clock: once it has timed out, the older busy one
        // would have too, had the stream in flight not counted.
        var idle = await setup.ConnectAsync();
        Assert.Equal(H2.NoError, (await idle.ExpectGoAwayAsync()).ErrorCode);
        Assert.False(busy.HasReceived(f => f.Type == H2.GoAway), "the connection with a stream in flight got GOAWAY");

        setup.Backend.ReleaseSlow();
        var response = await busy.ReadResponseAsync(1);
        Assert.Equal((200, "released"), (response.Status, response.BodyText));
    }

    [Fact]
    public async Task UnfinishedHeaderBlockTimesOut()
    {
        await using var setup = await Http2Setup.StartAsync(new Http2Limits { HeadersTimeout = TimeSpan.FromSeconds(1) });
        var connection = await setup.ConnectAsync();
        var block = TestHpackEncoder.Encode(RawHttp2Connection.Request("GET", "/id/never"));

        await connection.SendHeaderBlockAsync(1, block[..6], endStream: true, endHeaders: false);

        // Closed (with or without GOAWAY) well within the 10 s the wait allows; the keep-alive timeout is 75 s.
        var frames = await connection.WaitForCloseAsync();
        Assert.DoesNotContain(frames, f => f.Type == H2.Headers);
        Assert.Equal(0, setup.Backend.Count);
    }

    [Fact]
    public async Task StopSendsGoAwayAndLetsTheRequestInFlightComplete()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/slow"), endStream: true);
        await setup.Backend.WaitForSlowRequestsAsync();

        var stopping = setup.Proxy.Server.StopAsync();
        var goAway = await connection.ExpectGoAwayAsync();
        Assert.Equal(H2.ErrorName(H2.NoError), H2.ErrorName(goAway.ErrorCode));
        Assert.True(goAway.LastStreamId >= 1, goAway.ToString());

        setup.Backend.ReleaseSlow();
        var response = await connection.ReadResponseAsync(1);
        Assert.Equal((200, "released"), (response.Status, response.BodyText));
        await stopping.WaitAsync(RawHttp2Connection.Patience);
    }
}
