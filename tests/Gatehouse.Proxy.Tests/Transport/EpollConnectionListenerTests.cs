using System.Net;
using System.Net.Sockets;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Proxy.Tests.Transport;

public sealed class EpollConnectionListenerTests : IAsyncDisposable
{
    private readonly EpollLoopGroup _loops = new(1, NullLoggerFactory.Instance);
    private IConnectionListener? _listener;

    [Fact]
    public async Task AcceptedConnectionsHaveNagleOffWithoutASocketOptionPerConnection()
    {
        var (connection, client) = await AcceptOneAsync();
        using var _ = client;

        // Inherited from the listener: the accept path sets no option of its own.
        Assert.Equal(1, NoDelay(connection.Socket.Descriptor));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task ConnectionIdsAreAnEFollowedByAnIncreasingHexNumber()
    {
        _listener = await BindAsync();
        var ids = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(_listener.EndPoint);
            var connection = (await _listener.AcceptAsync())!;
            Assert.Matches("^E[0-9A-F]+$", connection.ConnectionId);
            Assert.Same(connection, connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionIdFeature>());
            ids.Add(long.Parse(connection.ConnectionId.AsSpan(1), System.Globalization.NumberStyles.AllowHexSpecifier, null));
            await connection.DisposeAsync();
        }

        Assert.True(ids[1] > ids[0]);
    }

    [Fact]
    public async Task ConnectionClosedIsCancelledByTheTimeDisposeReturns()
    {
        var (connection, client) = await AcceptOneAsync();
        using var _ = client;
        var token = connection.ConnectionClosed;
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), fired);

        await connection.DisposeAsync();

        // Cancelled in place, not queued for later: whoever disposed the connection sees it done.
        Assert.True(fired.Task.IsCompleted);
        Assert.Equal(0, await client.ReceiveAsync(new byte[16]));
    }

    [Fact]
    public async Task AClientThatLeavesFiresConnectionClosedWhileKestrelStillHoldsTheConnection()
    {
        var (connection, client) = await AcceptOneAsync();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionClosed.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), fired);

        client.Dispose();

        await fired.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var read = await connection.Transport.Input.ReadAsync();
        Assert.True(read.IsCompleted);
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task UnbindingEndsAWaitingAcceptAndEveryLaterOneWithNoConnection()
    {
        _listener = await BindAsync();
        var waiting = _listener.AcceptAsync();
        Assert.False(waiting.IsCompleted);

        await _listener.UnbindAsync();

        Assert.Null(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Null(await _listener.AcceptAsync());
    }

    [Fact]
    public async Task ConnectionsAcceptedBeforeKestrelAsksWaitInOrder()
    {
        _listener = await BindAsync();
        var clients = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(_listener.EndPoint);
            clients.Add(client);
        }

        for (var i = 0; i < 3; i++)
        {
            var accepted = await _listener.AcceptAsync();
            Assert.NotNull(accepted);
            Assert.Equal(((IPEndPoint)clients[i].LocalEndPoint!).Port, ((IPEndPoint)accepted.RemoteEndPoint!).Port);
            await accepted.DisposeAsync();
        }

        clients.ForEach(client => client.Dispose());
    }

    private async Task<(EpollConnection Connection, Socket Client)> AcceptOneAsync()
    {
        _listener = await BindAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_listener.EndPoint);
        var accepted = await _listener.AcceptAsync();
        return ((EpollConnection)accepted!, client);
    }

    private Task<IConnectionListener> BindAsync()
        => new EpollTransportFactory(_loops, NullLoggerFactory.Instance).BindAsync(new IPEndPoint(IPAddress.Loopback, 0)).AsTask();

    private static unsafe int NoDelay(int fd)
    {
        int value = 0;
        uint length = sizeof(int);
        Assert.Equal(0, Native.getsockopt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, &value, &length));
        return value;
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        _loops.Dispose();
    }
}
