using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>An in-process proxy with an HTTPS listener on 127.0.0.1 (free ports), configs applied directly.</summary>
internal static class TlsProxy
{
    public const int RedirectPort = 8443;

    public static async Task<ProxyServer> StartAsync(GatehouseConfig? config = null)
    {
        var server = new ProxyServer(
            ProxyHarness.LocalOptions() with { HttpsPort = 0, HttpsRedirectPort = RedirectPort },
            NullLoggerFactory.Instance);
        await server.StartAsync();
        if (config is not null)
        {
            server.ApplyConfig(config);
        }

        return server;
    }

    /// <summary>An HttpClient for the HTTPS port that trusts anything (the tests check certificates themselves).</summary>
    public static HttpClient HttpsClient(ProxyServer server, Version? version = null) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    })
    {
        BaseAddress = new Uri($"https://127.0.0.1:{server.HttpsPort}"),
        DefaultRequestVersion = version ?? System.Net.HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(30),
    };
}
