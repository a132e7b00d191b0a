using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Proxy.Tests.Transport;

/// <summary>The socket's writer: a flush is the send, and only a full kernel buffer makes it wait.</summary>
public sealed class EpollSocketOutputTests : EpollSocketTestBase
{
    [Fact]
    public async Task ASmallFlushCompletesAtOnceWithNothingLeftUnflushed()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        socket.Output.Write("GET / HTTP/1.1\r\n\r\n"u8);
        var flush = socket.Output.FlushAsync();

        // Over loopback the bytes are in the peer's receive queue once send returns.
        Assert.True(flush.IsCompletedSuccessfully);
        Assert.False(flush.Result.IsCompleted);
        Assert.Equal(0, socket.Output.UnflushedBytes);
        var received = new byte[18];
        await ReceiveExactlyAsync(peer, received);
        Assert.Equal("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), received);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task SeveralWritesOverManyBlocksGoOutWholeAndInOrderInOneFlush()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        // Small pieces, a piece larger than a block and committed-but-unflushed bytes in between.
        var payload = Pattern(20_000);
        var output = socket.Output;
        output.Write(payload.AsSpan(0, 100));
        output.Write(payload.AsSpan(100, 9_000));
        var large = output.GetMemory(10_000);
        Assert.True(large.Length >= 10_000);
        payload.AsSpan(9_100, 10_000).CopyTo(large.Span);
        output.Advance(10_000);
        output.Write(payload.AsSpan(19_100));
        Assert.Equal(20_000, output.UnflushedBytes);
        Assert.Equal(0, peer.Available);

        var result = await output.FlushAsync();
        Assert.False(result.IsCompleted || result.IsCanceled);
        var received = new byte[payload.Length];
        await ReceiveExactlyAsync(peer, received);
        Assert.Equal(payload, received);

        // What the per-request sizes read: everything the writer committed.
        Assert.Equal(20_000, socket.BytesWritten);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task AFlushWaitsOnceTheKernelRefusesAndResumesWhenThePeerReads()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        var payload = Pattern(8 * 1024 * 1024);
        var sent = 0;
        ValueTask<FlushResult> waiting = default;
        while (sent < payload.Length)
        {
            var chunk = Math.Min(16 * 1024, payload.Length - sent);
            socket.Output.Write(payload.AsSpan(sent, chunk));
            sent += chunk;
            waiting = socket.Output.FlushAsync();
            if (!waiting.IsCompleted)
            {
                break;
            }
        }

        Assert.False(waiting.IsCompleted);
        Assert.True(sent < payload.Length);

        // Only the loop's writable event can finish it now: the peer drains, the flush completes.
        var received = new byte[sent];
        var reading = ReceiveExactlyAsync(peer, received);
        var result = await waiting;
        Assert.False(result.IsCompleted || result.IsCanceled);
        await reading;
        Assert.True(payload.AsSpan(0, sent).SequenceEqual(received));
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task AWaitingFlushEndsWithItsToken()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        using var timeout = new CancellationTokenSource();
        var waiting = FillUntilAFlushWaits(socket, timeout.Token);
        timeout.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        socket.Abort(new ConnectionAbortedException("test over"));
        await socket.Closed;
    }

    [Fact]
    public async Task CancelPendingFlushCompletesAWaitingFlushAsCanceled()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        var waiting = FillUntilAFlushWaits(socket, CancellationToken.None);
        socket.Output.CancelPendingFlush();
        var result = await waiting;
        Assert.True(result.IsCanceled);
        Assert.False(result.IsCompleted);

        // With no flush waiting, the cancel applies to the next one.
        socket.Output.CancelPendingFlush();
        Assert.True((await socket.Output.FlushAsync()).IsCanceled);
        socket.Abort(new ConnectionAbortedException("test over"));
        await socket.Closed;
    }

    [Fact]
    public async Task AbortReleasesAWaitingFlushAsTheEndOfTheConnection()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        var waiting = FillUntilAFlushWaits(socket, CancellationToken.None);
        socket.Abort(new ConnectionAbortedException("client gone"));
        var result = await waiting;
        Assert.True(result.IsCompleted);
        await socket.Closed;

        // Later flushes see the end too, and drop what they were given.
        socket.Output.Write("more"u8);
        Assert.True((await socket.Output.FlushAsync()).IsCompleted);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task ASendToAPeerThatResetFailsAndEndsTheConnection()
    {
        var (socket, accepted) = await ConnectAsync();

        // A linger of zero makes the close a reset; the read side sees it first.
        accepted.LingerState = new LingerOption(true, 0);
        accepted.Close();
        await Assert.ThrowsAsync<ConnectionResetException>(async () =>
        {
            while (true)
            {
                var read = await socket.Input.ReadAsync();
                socket.Input.AdvanceTo(read.Buffer.End);
            }
        });
        Assert.False(socket.Closed.IsCompleted);

        // The send fails, the flush reports the end, and the descriptor is closed.
        socket.Output.Write(Pattern(1024));
        var result = await socket.Output.FlushAsync();
        Assert.True(result.IsCompleted);
        await socket.Closed;
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task CompletingTheWriterSendsWhatIsLeftAndThenTheEnd()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        var payload = Pattern(300_000);
        var writing = Task.Run(async () =>
        {
            socket.Output.Write(payload);
            await socket.Output.CompleteAsync();
        });

        var received = await ReceiveToEndAsync(peer, payload.Length);
        await writing;
        Assert.Equal(payload, received);
        await socket.Closed;
        await socket.DisposeAsync();
    }

    /// <summary>Writes into a peer that never reads until a flush has to wait, and returns that flush.</summary>
    private static ValueTask<FlushResult> FillUntilAFlushWaits(EpollSocket socket, CancellationToken cancellationToken)
    {
        var chunk = Pattern(64 * 1024);
        for (var i = 0; i < 10_000; i++)
        {
            socket.Output.Write(chunk);
            var flush = socket.Output.FlushAsync(cancellationToken);
            if (!flush.IsCompleted)
            {
                return flush;
            }
        }

        throw new InvalidOperationException("the kernel never refused a send");
    }
}
