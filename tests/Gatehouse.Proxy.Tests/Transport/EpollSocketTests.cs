using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Proxy.Tests.Transport;

public sealed class EpollSocketTests : IDisposable
{
    private readonly EpollLoopGroup _loops = new(1, NullLoggerFactory.Instance);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public EpollSocketTests() => _listener.Start();

    private IPEndPoint Server => (IPEndPoint)_listener.LocalEndpoint;

    [Fact]
    public async Task BytesWrittenToTheOutputArriveAndBytesSentBackAppearOnTheInput()
    {
        var accept = _listener.AcceptSocketAsync();
        var socket = await EpollSocket.ConnectAsync(_loops.Next(), Server, CancellationToken.None);
        using var peer = await accept;

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

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        for (var offset = 0; offset < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(offset));
            Assert.NotEqual(0, n);
            offset += n;
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _loops.Dispose();
    }
}
