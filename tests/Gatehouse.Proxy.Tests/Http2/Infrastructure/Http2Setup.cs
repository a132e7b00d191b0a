using System.Net;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http2;
using Gatehouse.Tests.Infrastructure;
using HttpProtocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>
/// A <see cref="Http2TestBackend"/> behind an in-process proxy whose cleartext listener speaks h2c only,
/// answered by the proxy's own HTTP/2 server (<see cref="Http2Server.Gatehouse"/>), and the raw
/// connections a test opened to it (closed on dispose).
/// </summary>
internal sealed class Http2Setup : IAsyncDisposable
{
    private readonly List<RawHttp2Connection> _connections = [];

    private Http2Setup(Http2TestBackend backend, ProxyHarness proxy)
    {
        Backend = backend;
        Proxy = proxy;
    }

    public Http2TestBackend Backend { get; }

    public ProxyHarness Proxy { get; }

    public int Port => Proxy.Server.HttpPort;

    public static ProxyOptions Options(Http2Limits? limits = null)
        => ProxyHarness.LocalOptions(protocols: HttpProtocols.Http2) with
        {
            Http2Server = Http2Server.Gatehouse,
            Http2Limits = limits ?? new Http2Limits(),
        };

    public static async Task<Http2Setup> StartAsync(Http2Limits? limits = null, Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var backend = await Http2TestBackend.StartAsync();
        var options = Options(limits);
        var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), configure is null ? options : configure(options));
        return new Http2Setup(backend, proxy);
    }

    /// <summary>A raw h2c connection; with <paramref name="handshake"/>, the preface and SETTINGS exchange is done.</summary>
    public async Task<RawHttp2Connection> ConnectAsync(bool handshake = true, params (ushort Id, uint Value)[] settings)
    {
        var connection = await RawHttp2Connection.ConnectAsync(Port);
        _connections.Add(connection);
        if (handshake)
        {
            await connection.HandshakeAsync(settings);
        }

        return connection;
    }

    /// <summary>An HttpClient speaking h2c with prior knowledge to the proxy.</summary>
    public HttpClient H2cClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{Port}"),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>GET <paramref name="path"/> on a fresh stream of <paramref name="connection"/>; fails unless it ends in a response.</summary>
    public static async Task<Http2Response> GetAsync(RawHttp2Connection connection, int streamId, string path = "/id/good")
    {
        await connection.SendHeadersAsync(streamId, RawHttp2Connection.Request("GET", path), endStream: true);
        return await connection.ReadResponseAsync(streamId);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await Proxy.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
