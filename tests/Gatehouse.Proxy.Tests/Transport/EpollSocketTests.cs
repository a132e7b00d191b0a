using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Tests.Transport;

public sealed class EpollSocketTests : EpollSocketTestBase
{
    [Fact]
    public async Task BytesWrittenToTheOutputArriveAndBytesSentBackAppearOnTheInput()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        socket.Output.Write("hello"u8);
        await socket.Output.FlushAsync();
        var buffer = new byte[5];
        await ReceiveExactlyAsync(peer, buffer);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer));

        await peer.SendAsync("world"u8.ToArray());
        var read = await socket.Input.ReadAtLeastAsync(5);
        Assert.Equal("world", Encoding.ASCII.GetString(read.Buffer.ToArray()));
        socket.Input.AdvanceTo(read.Buffer.End);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task APeersDataLargerThanOneBatchArrivesWholeAndInOrderEvenWhenTheReaderLagsBehind()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        // 4 MiB: more than the 64 KiB read batch and the input pipe's 1 MiB pause threshold, so the
        // loop must stop reading while the reader is slow and resume when it catches up.
        var payload = Pattern(4 * 1024 * 1024);
        var sending = Task.Run(async () =>
        {
            await peer.SendAsync(payload);
            peer.Shutdown(SocketShutdown.Send);
        });

        var received = new MemoryStream();
        while (true)
        {
            var result = await socket.Input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            socket.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }

            await Task.Delay(1);
        }

        await sending;
        Assert.Equal(payload.Length, received.Length);
        Assert.True(payload.AsSpan().SequenceEqual(received.ToArray()));
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task AReaderThatConsumesPartOfABatchFindsTheRestOfItOnItsNextRead()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        // Several blocks arriving at once are handed over in one flush; a reader taking a head off
        // the front must see every byte after it.
        var payload = Pattern(16 * 1024 + 113);
        await peer.SendAsync(payload);
        var total = 0L;
        var first = await socket.Input.ReadAtLeastAsync(payload.Length);
        Assert.Equal(payload.Length, first.Buffer.Length);
        socket.Input.AdvanceTo(first.Buffer.GetPosition(96));
        var rest = await socket.Input.ReadAsync();
        total = rest.Buffer.Length;
        Assert.Equal(payload.Length - 96, total);
        Assert.True(payload.AsSpan(96).SequenceEqual(rest.Buffer.ToArray()));
        socket.Input.AdvanceTo(rest.Buffer.End);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task OutputLargerThanTheKernelsBuffersIsSentWholeOnceThePeerReads()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        // The peer reads nothing until a write has had to wait: by then the kernel's buffers are full,
        // sends have returned EAGAIN, and only the loop's writable event can move the rest.
        var payload = Pattern(16 * 1024 * 1024);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 100_000)
            {
                var write = socket.Output.WriteAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)));
                if (!write.IsCompleted)
                {
                    blocked.TrySetResult();
                }

                await write;
            }

            await socket.Output.CompleteAsync();
        });

        await blocked.Task;
        var received = await ReceiveToEndAsync(peer, payload.Length);
        await writing;
        Assert.Equal(payload, received);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task DataFollowedAtOnceByThePeersCloseIsReadBeforeTheEndOfStream()
    {
        var (socket, accepted) = await ConnectAsync();
        using (var peer = accepted)
        {
            await peer.SendAsync("last words"u8.ToArray());
            peer.Shutdown(SocketShutdown.Send);
        }

        var result = await socket.Input.ReadAsync();
        while (!result.IsCompleted)
        {
            socket.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await socket.Input.ReadAsync();
        }

        Assert.Equal("last words", Encoding.ASCII.GetString(result.Buffer.ToArray()));
        socket.Input.AdvanceTo(result.Buffer.End);
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task ConnectingToAPortNobodyListensOnFailsWithConnectionRefused()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
            await EpollSocket.ConnectAsync(Loops.Next(), new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task AbortEndsTheConnectionAndTheReaderSeesTheReason()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        var reason = new Microsoft.AspNetCore.Connections.ConnectionAbortedException("test abort");
        socket.Abort(reason);

        var thrown = await Assert.ThrowsAsync<Microsoft.AspNetCore.Connections.ConnectionAbortedException>(async () =>
        {
            while (true)
            {
                var result = await socket.Input.ReadAsync();
                socket.Input.AdvanceTo(result.Buffer.End);
            }
        });
        Assert.Same(reason, thrown);

        // The peer sees the connection end.
        var buffer = new byte[16];
        Assert.Equal(0, await peer.ReceiveAsync(buffer));
        await socket.Closed;
    }

    [Fact]
    public async Task ADisposedConnectionIsClosedAndThePeerSeesTheEnd()
    {
        var (socket, accepted) = await ConnectAsync();
        using var peer = accepted;

        await socket.DisposeAsync();
        Assert.True(socket.Closed.IsCompleted);
        Assert.Equal(0, await peer.ReceiveAsync(new byte[16]));
    }
}
