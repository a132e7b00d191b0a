using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Proxy.Hosting;

/// <summary>Process settings, from the command line or set directly by in-process hosts and tests.</summary>
public sealed record ProxyOptions
{
    /// <summary>The controller's channel file; null runs without a watcher (configs via ApplyConfig).</summary>
    public string? ChannelPath { get; init; }

    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>
    /// Protocols on the (cleartext) traffic listener. Kestrel negotiates HTTP/2 on an Http1AndHttp2
    /// endpoint only through TLS ALPN, so without TLS that setting is HTTP/1.1 plus a startup warning;
    /// prior-knowledge h2c (cleartext gRPC clients) needs Http2 alone. The TLS feature should switch
    /// its listener to Http1AndHttp2. Not a CLI flag yet.
    /// </summary>
    public HttpProtocols TrafficProtocols { get; init; } = HttpProtocols.Http1;

    /// <summary>Traffic port; 0 picks a free one (see <see cref="ProxyServer.HttpPort"/>).</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>
    /// HTTPS traffic port (--https-port); 0 picks a free one, null runs without an HTTPS listener. The
    /// command line defaults to 8443; in-process hosts opt in.
    /// </summary>
    public int? HttpsPort { get; init; }

    /// <summary>Port written into HTTP → HTTPS redirects (--https-redirect-port); 443 is omitted from the URL.</summary>
    public int HttpsRedirectPort { get; init; } = 443;

    /// <summary>Admin listener address; null means the same as <see cref="Address"/>.</summary>
    public IPAddress? AdminAddress { get; init; }

    public int AdminPort { get; init; } = 9090;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a removed backend's connection pool is kept for requests still using it.</summary>
    public TimeSpan RetiredBackendGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long shutdown waits for in-flight requests to drain.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
