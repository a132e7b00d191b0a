using System.Net;
using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>An in-process proxy on 127.0.0.1 (ports 0) with an HttpClient pointed at its traffic port.</summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    private ProxyHarness(ProxyServer server)
    {
        Server = server;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        AdminClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.AdminPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public ProxyServer Server { get; }

    public HttpClient Client { get; }

    public HttpClient AdminClient { get; }

    public Uri BaseAddress => Client.BaseAddress!;

    public static ProxyOptions LocalOptions(TimeSpan? upstreamTimeout = null, HttpProtocols protocols = HttpProtocols.Http1) => new()
    {
        Address = IPAddress.Loopback,
        HttpPort = 0,
        AdminPort = 0,
        UpstreamTimeout = upstreamTimeout ?? TimeSpan.FromSeconds(30),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
        TrafficProtocols = protocols,

        // Tests that read the access log give it a stream of their own; the rest keep stdout quiet.
        AccessLog = Gatehouse.Proxy.Telemetry.AccessLogMode.Off,
    };

    public static Task<ProxyHarness> StartAsync(
        GatehouseConfig? config = null,
        TimeSpan? upstreamTimeout = null,
        HttpProtocols protocols = HttpProtocols.Http1)
        => StartAsync(config, LocalOptions(upstreamTimeout, protocols));

    public static async Task<ProxyHarness> StartAsync(GatehouseConfig? config, ProxyOptions options)
    {
        var server = new ProxyServer(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await server.StartAsync();
        if (config is not null)
        {
            server.ApplyConfig(config);
        }

        return new ProxyHarness(server);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        AdminClient.Dispose();
        await Server.DisposeAsync();
    }
}
