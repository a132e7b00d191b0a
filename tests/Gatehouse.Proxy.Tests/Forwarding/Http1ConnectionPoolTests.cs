using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding.Http1;
using Gatehouse.Proxy.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Proxy.Tests.Forwarding;

/// <summary>The lean client's idle connections are kept per event loop, as nginx workers keep theirs.</summary>
public sealed class Http1ConnectionPoolTests
{
    [Fact]
    public async Task A_connection_goes_back_to_its_own_loops_queue_and_only_that_loop_rents_it()
    {
        using var loops = new EpollLoopGroup(2, NullLoggerFactory.Instance);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new EndpointConfig("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);
        var pool = new Http1ConnectionPool(endpoint, TimeSpan.FromMinutes(1), loops: 2);

        using var first = await Http1Connection.ConnectAsync(endpoint, loops[0], CancellationToken.None);
        using var firstServer = await listener.AcceptSocketAsync();
        using var second = await Http1Connection.ConnectAsync(endpoint, loops[1], CancellationToken.None);
        using var secondServer = await listener.AcceptSocketAsync();
        Assert.Equal(0, first.LoopIndex);
        Assert.Equal(1, second.LoopIndex);

        pool.Return(second);
        pool.Return(first);
        Assert.Equal(2, pool.IdleCount);

        // A request on loop 0 gets loop 0's connection, and none from loop 1 even when its own ran out:
        // it opens one on its loop instead, so both legs of every request share a thread.
        Assert.Same(first, pool.TryRent(0));
        Assert.Null(pool.TryRent(0));
        Assert.Same(second, pool.TryRent(1));
        Assert.Null(pool.TryRent(1));
        Assert.Equal(0, pool.IdleCount);
    }
}
