using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Why the server exists: a connection is served on the event loop that accepted it. Kestrel hands
/// every accepted connection to the thread pool first, which on a new connection per request was a
/// worker wake-up and a third of the proxy's extra CPU per request.
/// </summary>
public sealed class Http1HostThreadingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheFirstRequestAndTheEndOfItsConnectionRunOnTheLoopNotThePool()
    {
        using var loops = new EpollLoopGroup(1, NullLoggerFactory.Instance);
        var transport = new EpollTransportFactory(loops, NullLoggerFactory.Instance);
        var handlerThread = new TaskCompletionSource<(string? Name, bool Pool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var endThread = new TaskCompletionSource<(string? Name, bool Pool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = new Http1Host(
            context =>
            {
                handlerThread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));

                // Fires when the connection ends; after a normal end (Connection: close) it must not
                // be reported as the client leaving, which took a thread-pool hop per connection.
                context.RequestAborted.Register(() => endThread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread)));
                context.Response.ContentLength = 2;
                return new ValueTask(context.Response.WriteAsync("ok"));
            },
            new Http1Limits(),
            static next => next,
            NullLogger.Instance);
        host.Listen(transport, new IPEndPoint(IPAddress.Loopback, 0));

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)host.EndPoint!).Port);
        var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var received = new MemoryStream();
        using (var deadline = new CancellationTokenSource(Patience))
        {
            await stream.CopyToAsync(received, deadline.Token);
        }

        var answer = Encoding.ASCII.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nok", answer, StringComparison.Ordinal);

        var (name, pool) = await handlerThread.Task.WaitAsync(Patience);
        Assert.False(pool, "the handler ran on a thread-pool thread");
        Assert.StartsWith("gatehouse-loop", name, StringComparison.Ordinal);

        (name, pool) = await endThread.Task.WaitAsync(Patience);
        Assert.False(pool, "the end of the connection was reported through the thread pool");
        Assert.StartsWith("gatehouse-loop", name, StringComparison.Ordinal);
    }
}
