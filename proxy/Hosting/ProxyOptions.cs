using System.Net;
using Gatehouse.Proxy.Telemetry;
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

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>--upstream-max-fails: passive health's failed attempts before ejection (0: off).</summary>
    public int UpstreamMaxFails { get; init; } = 1;

    /// <summary>--upstream-fail-timeout: passive health's failure window and ejection time.</summary>
    public TimeSpan UpstreamFailTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>--upstream-client: the client for plain-HTTP backends (HTTPS, gRPC and upgrades always use SocketsHttpHandler).</summary>
    public Gatehouse.Proxy.Forwarding.UpstreamClient UpstreamClient { get; init; } = Gatehouse.Proxy.Forwarding.UpstreamClient.Lean;

    /// <summary>--transport: what carries client connections on the traffic listeners (epoll needs Linux).</summary>
    public Gatehouse.Proxy.Transport.ProxyTransport Transport { get; init; } =
        OperatingSystem.IsLinux() ? Gatehouse.Proxy.Transport.ProxyTransport.Epoll : Gatehouse.Proxy.Transport.ProxyTransport.Sockets;

    /// <summary>--event-loops: threads of the epoll transport (each with its own epoll set).</summary>
    public int EventLoops { get; init; } = AutoEventLoops(Environment.ProcessorCount);

    /// <summary>
    /// <c>--event-loops auto</c>, the default: one loop per CPU the process may use (.NET counts the
    /// container's CPU limit), less one, and at least one. The spare CPU's worth is for what runs off
    /// the loops: HTTP/2 streams (Kestrel runs them on the thread pool), the GC, the access log writer.
    /// On a 2-core node shared with its backends one loop measured best (docs/performance.md).
    /// </summary>
    public static int AutoEventLoops(int processors) => Math.Max(1, processors - 1);

    /// <summary>How long a removed backend's connection pool is kept for requests still using it.</summary>
    public TimeSpan RetiredBackendGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The access log (<c>--access-log</c>): JSON lines on stdout, or off.</summary>
    public AccessLogMode AccessLog { get; init; } = AccessLogMode.Stdout;

    /// <summary>Where access log lines go instead of stdout; for in-process hosts and tests.</summary>
    internal Stream? AccessLogOutput { get; init; }

    /// <summary>A span per proxied request and traceparent rewriting (<c>--tracing on</c>; the command line turns it on with <c>--otlp-endpoint</c>).</summary>
    public bool Tracing { get; init; }

    /// <summary>
    /// OTLP/HTTP (protobuf) collector base URL (<c>--otlp-endpoint</c>); metrics go to {url}/v1/metrics and
    /// spans to {url}/v1/traces. Null: no OTLP export.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>How often metrics are pushed to the OTLP endpoint (a final push happens at shutdown).</summary>
    public TimeSpan OtlpExportInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Which HTTP/2 server answers h2 (ALPN on the HTTPS port, or prior knowledge on an h2c listener).</summary>
    public Http2Server Http2Server { get; init; } = Http2Server.Gatehouse;

    /// <summary>Limits of the proxy's own HTTP/2 server.</summary>
    public Http2.Http2Limits Http2Limits { get; init; } = new();

    /// <summary>Which HTTP/1.1 server answers the cleartext traffic listener (and, with <see cref="HttpsServer"/> gatehouse, HTTP/1.1 over TLS).</summary>
    public Http1Server Http1Server { get; init; } = Http1Server.Gatehouse;

    /// <summary>Who terminates TLS on the HTTPS listener (<c>--https-server</c>).</summary>
    public HttpsServer HttpsServer { get; init; } = HttpsServer.Gatehouse;

    /// <summary>How long a client has to finish its TLS handshake on the proxy's own HTTPS listener.</summary>
    internal TimeSpan TlsHandshakeTimeout { get; init; } = Tls.HttpsHost.DefaultHandshakeTimeout;

    /// <summary>
    /// True when the proxy's own HTTPS listener serves <see cref="HttpsPort"/>: it needs the epoll
    /// transport and hands connections to the proxy's own HTTP/1.1 and HTTP/2 servers.
    /// </summary>
    internal bool OwnsHttps => HttpsPort is not null
        && HttpsServer == HttpsServer.Gatehouse
        && Transport == Gatehouse.Proxy.Transport.ProxyTransport.Epoll
        && Http1Server == Http1Server.Gatehouse
        && Http2Server == Http2Server.Gatehouse;

    /// <summary>True when the proxy's own HTTP/1.1 server answers the cleartext listener.</summary>
    internal bool OwnsCleartext => Http1Server == Http1Server.Gatehouse
        && Transport == Gatehouse.Proxy.Transport.ProxyTransport.Epoll
        && TrafficProtocols == Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1;

    /// <summary>Limits of the proxy's own HTTP/1.1 server.</summary>
    public Http1.Http1Limits Http1Limits { get; init; } = new();

    /// <summary>How long shutdown waits for in-flight requests to drain.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
