using System.Net;
using System.Net.Sockets;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
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

    [Fact]
    public async Task TheConnectionsFeaturesAnswerItsOwnAndKeepWhatIsSetLikeAFeatureCollection()
    {
        var (connection, client) = await AcceptOneAsync();
        using var _ = client;
        var features = connection.Features;

        Assert.Same(connection, features.Get<IConnectionIdFeature>());
        Assert.Same(connection, features.Get<IConnectionTransportFeature>());
        Assert.Same(connection, features[typeof(IConnectionLifetimeFeature)]);
        Assert.Null(features.Get<IConnectionHeartbeatFeature>());
        Assert.Null(features.Get<IFeatureCollection>()); // implemented, but not a feature it offers

        // More features than the inline slots, one of them replacing the connection's own.
        var revision = features.Revision;
        var marker = new object();
        var items = new ItemsFeature();
        features.Set(new Counter(1));
        features.Set<IConnectionItemsFeature>(items);
        features[typeof(object)] = marker;
        features.Set("a string feature");
        features.Set(new Uri("http://overflow.test/"));
        features.Set(new Version(1, 2));
        Assert.True(features.Revision >= revision + 6);
        Assert.Equal(1, features.Get<Counter>()!.Value);
        Assert.Same(items, features.Get<IConnectionItemsFeature>());
        Assert.Same(marker, features[typeof(object)]);
        Assert.Equal("a string feature", features.Get<string>());
        Assert.Equal(new Uri("http://overflow.test/"), features.Get<Uri>());
        Assert.Equal(new Version(1, 2), features.Get<Version>());

        // Replaced in place, and removed by null, whether in a slot or beyond them.
        features.Set(new Counter(2));
        Assert.Equal(2, features.Get<Counter>()!.Value);
        features.Set<Counter>(null);
        features.Set<Version>(null);
        features.Set<IConnectionIdFeature>(null);
        Assert.Null(features.Get<Counter>());
        Assert.Null(features.Get<Version>());
        Assert.Null(features.Get<IConnectionIdFeature>());

        var listed = features.ToDictionary(pair => pair.Key, pair => pair.Value);
        Assert.Same(items, listed[typeof(IConnectionItemsFeature)]);
        Assert.Same(connection, listed[typeof(IMemoryPoolFeature)]);
        Assert.Same(marker, listed[typeof(object)]);
        Assert.False(listed.ContainsKey(typeof(Counter)));
        Assert.False(listed.ContainsKey(typeof(IConnectionIdFeature)));
        Assert.Equal(8, listed.Count); // four of its own, items, object, string, Uri

        // Layered under another collection (the HTTPS listener's), lookups reach it.
        var layered = new FeatureCollection(features);
        Assert.Same(connection, layered.Get<IConnectionTransportFeature>());
        Assert.Same(marker, layered[typeof(object)]);
        await connection.DisposeAsync();
    }

    private sealed record Counter(int Value);

    private sealed class ItemsFeature : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
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
