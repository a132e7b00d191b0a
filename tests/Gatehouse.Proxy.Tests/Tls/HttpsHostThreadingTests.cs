using System.Net;
using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Http2;
using Gatehouse.Proxy.Tls;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// Why the listener exists: a new HTTPS connection's handshake and its first request run on the event
/// loop that accepted it. Kestrel's HTTPS listener dispatches every accepted connection to the thread
/// pool first, and the handshake and the request follow it there.
/// </summary>
public sealed class HttpsHostThreadingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task TheHandshakeAndTheFirstRequestRunOnTheLoopNotThePool(string version)
    {
        using var loops = new EpollLoopGroup(1, NullLoggerFactory.Instance);
        var transport = new EpollTransportFactory(loops, NullLoggerFactory.Instance);
        var tls = new TlsConfigurationBuilder(SelfSignedCertificate.Create(), NullLogger.Instance).Build(GatehouseConfig.Empty);
        var handshakeThread = new TaskCompletionSource<(string? Name, bool Pool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerThread = new TaskCompletionSource<(string? Name, bool Pool, string Scheme)>(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestHandler handler = context =>
        {
            handlerThread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread, context.Request.Scheme));
            context.Response.ContentLength = 2;
            return new ValueTask(context.Response.WriteAsync("ok"));
        };
        await using var http1 = new Http1Host(handler, new Http1Limits(), static next => next, NullLogger.Instance);
        await using var host = new HttpsHost(
            new TlsHandshakeHandler(() => tls),
            http1,
            new Http2ConnectionMiddleware(handler, new Http2Limits(), NullLogger.Instance),
            static next => next,

            // Called right after AuthenticateAsync: where the handshake's last continuation ran.
            (_, _) => handshakeThread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread)),
            HttpsHost.DefaultHandshakeTimeout,
            NullLogger.Instance);
        host.Listen(transport, new IPEndPoint(IPAddress.Loopback, 0));

        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        })
        {
            DefaultRequestVersion = Version.Parse(version),
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Patience,
        };
        using var response = await client.GetAsync(new Uri($"https://127.0.0.1:{((IPEndPoint)host.EndPoint!).Port}/"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(version), response.Version);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());

        var (name, pool) = await handshakeThread.Task.WaitAsync(Patience);
        Assert.False(pool, "the handshake finished on a thread-pool thread");
        Assert.StartsWith("gatehouse-loop", name, StringComparison.Ordinal);

        var (handlerName, handlerPool, scheme) = await handlerThread.Task.WaitAsync(Patience);
        Assert.False(handlerPool, "the first request ran on a thread-pool thread");
        Assert.StartsWith("gatehouse-loop", handlerName, StringComparison.Ordinal);
        Assert.Equal("https", scheme);
    }
}
