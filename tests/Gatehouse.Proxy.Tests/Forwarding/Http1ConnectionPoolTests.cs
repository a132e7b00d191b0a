using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding.Http1;
using Gatehouse.Proxy.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Proxy.Tests.Forwarding;

/// <summary>
/// The lean client's idle connections are kept per event loop and handed out most recent first, as
/// nginx workers keep theirs.
/// </summary>
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

    [Fact]
    public async Task The_most_recently_returned_connection_is_rented_first_and_the_sweep_keeps_that_order()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new EndpointConfig("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);
        var pool = new Http1ConnectionPool(endpoint, TimeSpan.FromMinutes(1));
        var connections = new List<Http1Connection>();
        var servers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            connections.Add(await Http1Connection.ConnectAsync(endpoint, loop: null, CancellationToken.None));
            servers.Add(await listener.AcceptSocketAsync());
        }

        try
        {
            foreach (var connection in connections)
            {
                pool.Return(connection);
            }

            // The backend closes the second one while it is idle: the sweep drops it, and keeps the
            // others in the order they came back.
            servers[1].Close();
            await WaitUntilReadableAsync(connections[1]);
            pool.CloseExpired();
            Assert.Equal(3, pool.IdleCount);

            // A request after a burst gets the connection used last, not the one idle longest.
            var rented = pool.TryRent();
            Assert.Same(connections[3], rented);
            pool.Return(rented!);
            Assert.Same(connections[3], pool.TryRent());
            Assert.Same(connections[2], pool.TryRent());
            Assert.Same(connections[0], pool.TryRent());
            Assert.Null(pool.TryRent());
        }
        finally
        {
            connections.ForEach(connection => connection.Dispose());
            servers.ForEach(server => server.Dispose());
        }
    }

    private static async Task WaitUntilReadableAsync(Http1Connection connection)
    {
        // The runtime's socket reports the backend's FIN as readable; IsReusable polls for exactly that.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (connection.IsReusable() && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }
    }
}
