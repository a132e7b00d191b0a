using System.Net;
using System.Net.Sockets;
using Gatehouse.Proxy.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Proxy.Tests.Transport;

/// <summary>One event loop and a plain listener on 127.0.0.1: each test connects an epoll socket to it and talks to the peer it accepted.</summary>
public abstract class EpollSocketTestBase : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    protected EpollSocketTestBase() => _listener.Start();

    private protected EpollLoopGroup Loops { get; } = new(1, NullLoggerFactory.Instance);

    /// <summary>An epoll socket connected to the test's listener, and the peer socket it accepted.</summary>
    private protected async Task<(EpollSocket Socket, Socket Peer)> ConnectAsync()
    {
        var accept = _listener.AcceptSocketAsync();
        var socket = await EpollSocket.ConnectAsync(Loops.Next(), (IPEndPoint)_listener.LocalEndpoint, CancellationToken.None);
        return (socket, await accept);
    }

    protected static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        for (var offset = 0; offset < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(offset));
            Assert.NotEqual(0, n);
            offset += n;
        }
    }

    /// <summary>Everything the peer receives until the connection's end (one byte of room more than expected, so extra bytes show).</summary>
    protected static async Task<byte[]> ReceiveToEndAsync(Socket socket, int expected)
    {
        var received = new byte[expected + 1];
        var total = 0;
        int n;
        while ((n = await socket.ReceiveAsync(received.AsMemory(total))) != 0)
        {
            total += n;
        }

        return received[..total];
    }

    /// <summary>Bytes that differ from their neighbours and from a shifted copy, so a reordering or a lost block shows.</summary>
    internal static byte[] Pattern(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i * 31 + (i >> 10));
        }

        return payload;
    }

    public void Dispose()
    {
        _listener.Stop();
        Loops.Dispose();
        GC.SuppressFinalize(this);
    }
}
