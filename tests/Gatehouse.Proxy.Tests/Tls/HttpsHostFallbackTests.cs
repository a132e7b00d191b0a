using System.Net;
using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// The same HTTPS behaviours whoever terminates TLS (<c>--https-server gatehouse|kestrel</c>): Kestrel's
/// listener stays the fallback (sockets transport, either HTTP server set to kestrel), so it has to keep
/// answering as the proxy's own does.
/// </summary>
public sealed class HttpsHostFallbackTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static GatehouseConfig Config(TestPki pki, TestBackend backend) => Configs.Of(
        [
            Configs.Host("one.example.com", Configs.Prefix("/", "b")) with { Certificate = "default/one", Certificates = ["default/one"] },
            Configs.Host("two.example.com", Configs.Prefix("/", "b")) with { Certificate = "default/two", Certificates = ["default/two"] },
        ],
        [Configs.Backend("b", backend.Endpoint)]) with
    {
        Certificates =
        [
            pki.Server("default/one", ecdsa: false, "one.example.com") with { Hosts = ["one.example.com"] },
            pki.Server("default/two", ecdsa: true, "two.example.com") with { Hosts = ["two.example.com"] },
        ],
    };

    private static async Task<ProxyServer> StartAsync(HttpsServer server, GatehouseConfig config)
    {
        var proxy = new ProxyServer(ProxyHarness.LocalOptions() with { HttpsPort = 0, HttpsServer = server }, NullLoggerFactory.Instance);
        await proxy.StartAsync();
        proxy.ApplyConfig(config);
        return proxy;
    }

    private static HttpClient Client(ProxyServer proxy, Version version) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,

        // SNI is the request's host; it resolves to the proxy's loopback port.
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, proxy.HttpsPort, cancellationToken);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    })
    {
        DefaultRequestVersion = version,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Patience,
    };

    [Theory]
    [InlineData(HttpsServer.Gatehouse)]
    [InlineData(HttpsServer.Kestrel)]
    public async Task BothServersProxyHttp1AndH2AsHttpsAndChooseTheCertificateBySni(HttpsServer server)
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync(
            $"{context.Request.Headers["X-Forwarded-Proto"]} {context.Request.Host} {context.Request.Path}"));
        await using var proxy = await StartAsync(server, Config(pki, backend));

        // HTTP/1.1 by ALPN: the proxy's request is https, which the backend sees in X-Forwarded-Proto.
        using (var http1 = Client(proxy, HttpVersion.Version11))
        {
            using var response = await http1.GetAsync(new Uri("https://one.example.com/h1"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version11, response.Version);
            Assert.Equal("https one.example.com /h1", await response.Content.ReadAsStringAsync());
        }

        // h2 by ALPN.
        using (var h2 = Client(proxy, HttpVersion.Version20))
        {
            using var response = await h2.GetAsync(new Uri("https://two.example.com/h2"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal("https two.example.com /h2", await response.Content.ReadAsStringAsync());
        }

        // Each SNI name gets its own certificate (RSA for one, ECDSA for two), no SNI the self-signed default.
        Assert.Equal("CN=default.one", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "one.example.com")).Subject);
        Assert.Equal("CN=default.two", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "two.example.com")).Subject);
        Assert.Equal("CN=Gatehouse Default Certificate", (await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, serverName: null)).Subject);
    }

    [Theory]
    [InlineData(HttpsServer.Gatehouse)]
    [InlineData(HttpsServer.Kestrel)]
    public async Task TheFlagDecidesWhoServesTheHttpsPort(HttpsServer server)
    {
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = await StartAsync(server, Config(pki, backend));
        var selected = new TaskCompletionSource<(string? Name, bool Pool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.TlsHandshakes!.CertificateSelected += (_, _) => selected.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));

        // Without this the theory above could pass twice on the same listener.
        Assert.Equal(server == HttpsServer.Gatehouse, proxy.ServesHttpsItself);

        await TlsProbe.ServerCertificateAsync(proxy.HttpsPort, "one.example.com");
        var (name, pool) = await selected.Task.WaitAsync(Patience);
        if (server == HttpsServer.Gatehouse)
        {
            // The own listener chooses the certificate where the ClientHello was read: on the loop.
            // (Kestrel's usually does it on the thread pool, but not always: when its first read
            // waits for the ClientHello, the loop resumes it; so nothing is asserted for Kestrel.)
            Assert.False(pool, "the certificate was chosen on a thread-pool thread");
            Assert.StartsWith("gatehouse-loop", name, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("sockets")]
    [InlineData("http1-kestrel")]
    [InlineData("http2-kestrel")]
    public async Task KestrelsListenerServesWhenTheOwnOneCannot(string reason)
    {
        // The own listener needs the epoll transport and both of the proxy's HTTP servers; without
        // one of them the HTTPS port must still be served, by Kestrel.
        using var pki = new TestPki();
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync($"{context.Request.Headers["X-Forwarded-Proto"]}"));
        var options = ProxyHarness.LocalOptions() with { HttpsPort = 0, HttpsServer = HttpsServer.Gatehouse };
        options = reason switch
        {
            "sockets" => options with { Transport = Gatehouse.Proxy.Transport.ProxyTransport.Sockets },
            "http1-kestrel" => options with { Http1Server = Http1Server.Kestrel },
            _ => options with { Http2Server = Http2Server.Kestrel },
        };
        await using var proxy = new ProxyServer(options, NullLoggerFactory.Instance);
        await proxy.StartAsync();
        proxy.ApplyConfig(Config(pki, backend));

        Assert.False(proxy.ServesHttpsItself);
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var client = Client(proxy, version);
            using var response = await client.GetAsync(new Uri("https://one.example.com/"));
            Assert.Equal(version, response.Version);
            Assert.Equal("https", await response.Content.ReadAsStringAsync());
        }
    }
}
