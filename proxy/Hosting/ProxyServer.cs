using System.Net;
using Gatehouse.Model;
using Gatehouse.Proxy.Admin;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Proxy.Tls;
using Gatehouse.Proxy.Transport;
using Gatehouse.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Gatehouse.Proxy.Hosting;

/// <summary>
/// The whole data plane in one object: traffic listener, admin listener (a separate Kestrel server,
/// so the two never share a listener), route table state, metrics and, with a channel path, the watcher.
/// Used by Program and started in-process by tests (port 0, configs fed via <see cref="ApplyConfig"/>).
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    // ASP.NET Core starts an Activity and a log scope for every request whenever this category is
    // enabled at any level, even Critical; the proxy logs its own failures, so the category is off.
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    private readonly ProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly bool _ownsLoggerFactory;
    private readonly IConfigBlobSource? _blobSource;
    private readonly Func<byte[], GatehouseConfig>? _decode;
    private WebApplication? _traffic;
    private IDisposable? _forwarder;
    private Http2.Http2ConnectionMiddleware? _http2;
    private EpollLoopGroup? _loops;
    private EpollTransportFactory? _transport;
    private Http1.Http1Host? _http1;
    private HttpsHost? _https;
    private bool _ownsCleartext;

    /// <summary>The epoll transport's loops, or null on the socket transport.</summary>
    internal EpollLoopGroup? EventLoops => _loops;

    /// <summary>True when the proxy's own listener (<see cref="HttpsHost"/>) serves the HTTPS port, false when Kestrel's does or there is none.</summary>
    internal bool ServesHttpsItself => _https is not null;
    private WebApplication? _admin;
    private readonly PrometheusExporter _exporter;
    private readonly IMetricsExposition _exposition;
    private readonly OtlpExport? _otlp;
    private ChannelConfigWatcher? _watcher;
    private int _stopped;

    public ProxyServer(ProxyOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, options.ChannelPath is { } path ? new ChannelBlobSource(path) : null, null)
    {
    }

    internal ProxyServer(ProxyOptions options, ILoggerFactory? loggerFactory, IConfigBlobSource? blobSource, Func<byte[], GatehouseConfig>? decode)
    {
        _options = options;
        _ownsLoggerFactory = loggerFactory is null;
        _loggerFactory = loggerFactory ?? LoggerFactory.Create(static b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        }).AddConsole(static o => o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite) // never block a request on stdout (inline completions)
          .SetMinimumLevel(LogLevel.Information)
          .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
          .AddFilter(HostingDiagnosticsCategory, LogLevel.None)
          .AddFilter("System.Net.Http", LogLevel.Warning));
        // Bare LF line ends are refused (400) rather than read leniently: the proxy sees a request the
        // way a strict backend would. Kestrel reads the switch when it builds a connection's parser.
        AppContext.SetSwitch("Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators", true);
        _blobSource = blobSource;
        _decode = decode;
        ForwarderOptions = new ForwarderOptions
        {
            UpstreamTimeout = options.UpstreamTimeout,
            ConnectTimeout = options.ConnectTimeout,
            MaxFails = options.UpstreamMaxFails,
            FailTimeout = options.UpstreamFailTimeout,
            RetiredClientGracePeriod = options.RetiredBackendGracePeriod,
        };
        State = new ProxyConfigState(ForwarderOptions, _loggerFactory.CreateLogger("Gatehouse.Proxy.Configuration"))
        {
            HttpsRedirectPort = options.HttpsRedirectPort,
        };
        if (options.HttpsPort is not null)
        {
            State.EnableTls(SelfSignedCertificate.Create());
            TlsHandshakes = new TlsHandshakeHandler(() => State.CurrentTls);
        }

        // The meter is scoped to this server so the exporter reports this server's instruments only,
        // even when a process (a test run) hosts several proxies.
        Metrics = new ProxyMetrics(State, scope: this);
        if (TlsHandshakes is not null)
        {
            Metrics.ObserveCertificates(() => CertificateExpiries(State.CurrentTls));
        }
        _exporter = new PrometheusExporter(new PrometheusExporterOptions { MeterScope = this });

        var tracing = options.Tracing;
        Telemetry = new RequestTelemetry(
            options.AccessLog == AccessLogMode.Stdout ? new AccessLogWriter(options.AccessLogOutput ?? Console.OpenStandardOutput()) : null,
            tracing ? new ProxyTracing() : null);
        State.TableChanged += Telemetry.Series.Retain;
        _exposition = new CompositeMetricsExposition(_exporter, new RequestMetricsExposition(Telemetry));
        if (options.OtlpEndpoint is { } otlp)
        {
            _otlp = new OtlpExport(otlp, options.OtlpExportInterval, Telemetry);
        }
    }

    internal ForwarderOptions ForwarderOptions { get; }

    internal ProxyConfigState State { get; }

    internal ChannelConfigWatcher? Watcher => _watcher;

    internal ProxyMetrics Metrics { get; }

    /// <summary>Per-request metrics, access log and spans; the request handler's two calls go here.</summary>
    internal RequestTelemetry Telemetry { get; }

    /// <summary>What the admin listener serves on /metrics.</summary>
    internal IMetricsExposition MetricsExposition => _exposition;

    /// <summary>The bound traffic port (meaningful after <see cref="StartAsync"/>).</summary>
    public int HttpPort { get; private set; }

    /// <summary>The bound HTTPS port (meaningful after <see cref="StartAsync"/>); 0 without an HTTPS listener.</summary>
    public int HttpsPort { get; private set; }

    /// <summary>
    /// The HTTPS listener's handshake logic, null without one. Its CertificateSelected event and
    /// <c>State.CurrentTls.Certificates</c> (with NotAfter) are the hooks for TLS metrics.
    /// </summary>
    internal TlsHandshakeHandler? TlsHandshakes { get; }

    /// <summary>The bound admin port (meaningful after <see cref="StartAsync"/>).</summary>
    public int AdminPort { get; private set; }

    public bool IsReady => State.IsReady;

    /// <summary>Compiles and publishes <paramref name="config"/> immediately, bypassing the channel.</summary>
    /// <returns>The generation now serving.</returns>
    public long ApplyConfig(GatehouseConfig config) => State.Apply(config).Generation;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_blobSource is not null)
        {
            _watcher = new ChannelConfigWatcher(
                _blobSource,
                State,
                _options.PollInterval,
                _loggerFactory.CreateLogger<ChannelConfigWatcher>(),
                _decode,
                Metrics);

            // Load whatever is already published before listening, so a proxy started on an
            // existing channel file serves its first request instead of answering 503.
            _watcher.PollOnce();
        }

        var sockets = new HttpForwarder(ForwarderOptions, _loggerFactory.CreateLogger<HttpForwarder>());
        if (_options.Transport == ProxyTransport.Epoll)
        {
            _loops = new EpollLoopGroup(_options.EventLoops, _loggerFactory);
            _transport = new EpollTransportFactory(_loops, _loggerFactory);
        }

        IHttpForwarder forwarder = _options.UpstreamClient == UpstreamClient.Lean
            ? new Forwarding.Http1.LeanHttp1Forwarder(sockets, ForwarderOptions, _loggerFactory.CreateLogger<Forwarding.Http1.LeanHttp1Forwarder>(), _loops)
            : sockets;
        _forwarder = forwarder as IDisposable;
        var proxyHandler = new ProxyRequestHandler(State, forwarder, Telemetry, ForwarderOptions);
        if (_options.Http2Server == Http2Server.Gatehouse)
        {
            _http2 = new Http2.Http2ConnectionMiddleware(proxyHandler.InvokeAsync, _options.Http2Limits, _loggerFactory.CreateLogger<Http2.Http2ConnectionMiddleware>(), Metrics.Http2Error);
        }

        // Listeners of our own, outside Kestrel: their connections never wait for the thread pool.
        _ownsCleartext = _options.OwnsCleartext && _transport is not null;
        var ownsHttps = _options.OwnsHttps && _transport is not null && TlsHandshakes is not null && _http2 is not null;
        if (_ownsCleartext || ownsHttps)
        {
            _http1 = new Http1.Http1Host(proxyHandler.InvokeAsync, _options.Http1Limits, Telemetry.CountConnections, _loggerFactory.CreateLogger<Http1.Http1Host>(), Metrics.Http1Rejected);
        }

        if (ownsHttps)
        {
            _https = new HttpsHost(
                TlsHandshakes!,
                _http1!,
                _http2!,
                Telemetry.CountConnections,
                (protocol, state) => Metrics.TlsHandshakeCompleted(protocol, ProxyMetrics.KeyTypeLabel(state)),
                _options.TlsHandshakeTimeout,
                _loggerFactory.CreateLogger<HttpsHost>(),
                Metrics.TlsHandshakeFailed);
        }

        // With both traffic listeners ours (or the one there is), Kestrel has nothing to serve
        // (and would bind its default address if started with no endpoint).
        if (!_ownsCleartext || (_options.HttpsPort is not null && _https is null))
        {
            _traffic = BuildApp(_options.Address, _options.HttpPort, _options.TrafficProtocols, isTraffic: true);
            _traffic.Run(proxyHandler.InvokeTaskAsync);
        }

        var adminHandler = new AdminRequestHandler(State, _exposition, Telemetry.Series);
        _admin = BuildApp(_options.AdminAddress ?? _options.Address, _options.AdminPort, HttpProtocols.Http1, isTraffic: false);
        _admin.Run(adminHandler.InvokeAsync);

        // Traffic first: once the admin port answers (readiness probes, tests), traffic is already bound.
        if (_ownsCleartext)
        {
            _http1!.Listen(_transport!, new IPEndPoint(_options.Address, _options.HttpPort));
            HttpPort = ((IPEndPoint)_http1.EndPoint!).Port;
        }

        if (_https is not null)
        {
            _https.Listen(_transport!, new IPEndPoint(_options.Address, _options.HttpsPort!.Value));
            HttpsPort = ((IPEndPoint)_https.EndPoint!).Port;
        }

        if (_traffic is not null)
        {
            await _traffic.StartAsync(cancellationToken).ConfigureAwait(false);
            if (!_ownsCleartext)
            {
                HttpPort = BoundPort(_traffic, "http");
            }

            if (TlsHandshakes is not null && _https is null)
            {
                HttpsPort = BoundPort(_traffic, "https");
            }
        }

        await _admin.StartAsync(cancellationToken).ConfigureAwait(false);
        AdminPort = BoundPort(_admin, "http");
        _watcher?.Start();
    }

    /// <summary>Stops accepting, drains in-flight requests (up to the shutdown timeout), stops the watcher.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        var stops = new List<Task>(3);
        if (_http1 is not null)
        {
            stops.Add(StopOwnAsync(_http1.StopAsync, cancellationToken));
        }

        if (_https is not null)
        {
            stops.Add(StopOwnAsync(_https.StopAsync, cancellationToken));
        }

        if (_traffic is not null)
        {
            stops.Add(_traffic.StopAsync(cancellationToken));
        }

        await Task.WhenAll(stops).ConfigureAwait(false);

        if (_admin is not null)
        {
            await _admin.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        _watcher?.Dispose();
        if (_watcher is null)
        {
            _blobSource?.Dispose();
        }
    }

    private async Task StopOwnAsync(Func<CancellationToken, Task> stop, CancellationToken cancellationToken)
    {
        // Kestrel's listener drains within the host's ShutdownTimeout; ours get the same time.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ShutdownTimeout);
        await stop(timeout.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_https is not null)
        {
            await _https.DisposeAsync().ConfigureAwait(false);
        }

        if (_http1 is not null)
        {
            await _http1.DisposeAsync().ConfigureAwait(false);
        }

        if (_traffic is not null)
        {
            await _traffic.DisposeAsync().ConfigureAwait(false);
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }

        // After the listeners stop: the last requests' log lines and spans are written, then exported.
        await Telemetry.DisposeAsync().ConfigureAwait(false);
        _forwarder?.Dispose();
        _loops?.Dispose();
        _otlp?.Dispose();
        _exporter.Dispose();
        Metrics.Dispose();
        State.Dispose();
        if (_ownsLoggerFactory)
        {
            _loggerFactory.Dispose();
        }
    }

    private WebApplication BuildApp(IPAddress address, int port, HttpProtocols protocols, bool isTraffic)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "gatehouse-proxy",
            ContentRootPath = AppContext.BaseDirectory,
        });

        // One logger factory for both servers, the watcher and the forwarder.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);

        // Signals are handled once by the process (Program), not by each host.
        builder.Services.AddSingleton<IHostLifetime, NoopHostLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = _options.ShutdownTimeout);
        if (isTraffic)
        {
            // Kestrel's pipes resume on the completing thread instead of the thread pool; with
            // InlineSocketCompletions that is the epoll thread. See InlineSocketCompletions for why it is safe.
            builder.WebHost.UseSockets(static sockets => sockets.UnsafePreferInlineScheduling = true);
            if (_loops is not null)
            {
                // Replaces the socket transport: Kestrel binds with the last factory registered that can bind the endpoint.
                builder.Services.AddSingleton<IConnectionListenerFactory>(_transport!);
            }
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (isTraffic)
            {
                // Bodies are streamed, never buffered, so the proxy imposes no size limit of its own.
                kestrel.Limits.MaxRequestBodySize = null;
                // The same limits whichever server answers HTTP/1.1 (Kestrel still does over TLS).
                var http1 = _options.Http1Limits;
                kestrel.Limits.MaxRequestLineSize = http1.MaxRequestLineSize;
                kestrel.Limits.MaxRequestHeadersTotalSize = http1.MaxRequestHeadersTotalSize;
                kestrel.Limits.MaxRequestHeaderCount = http1.MaxRequestHeaderCount;
                kestrel.Limits.KeepAliveTimeout = http1.KeepAliveTimeout;
                kestrel.Limits.RequestHeadersTimeout = http1.HeadersTimeout;
                kestrel.Limits.Http2.MaxStreamsPerConnection = 256;
            }
            else
            {
                kestrel.Limits.MaxRequestBodySize = 4096;
                kestrel.Limits.MaxConcurrentConnections = 64;
            }

            if (!isTraffic || !_ownsCleartext)
            {
                kestrel.Listen(address, port, listen =>
                {
                    listen.Protocols = protocols;
                    if (isTraffic)
                    {
                        listen.Use(Telemetry.CountConnections);
                        if (protocols == HttpProtocols.Http2 && _http2 is not null)
                        {
                            listen.Use(_http2.PriorKnowledge);
                        }
                    }
                });
            }

            if (isTraffic && TlsHandshakes is { } handshakes && _options.HttpsPort is { } httpsPort && _https is null)
            {
                // ALPN offers h2 and http/1.1; the handshake handler picks certificate and settings per SNI.
                kestrel.Listen(address, httpsPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.Use(Telemetry.CountConnections);
                    listen.UseHttps(handshakes.Configure);
                    listen.Use(CountHandshake);
                    if (_http2 is not null)
                    {
                        listen.Use(_http2.AfterTls);
                    }
                });
            }
        });

        return builder.Build();
    }

    /// <summary>Runs once per connection right after its TLS handshake: protocol and the key type served.</summary>
    private ConnectionDelegate CountHandshake(ConnectionDelegate next)
        => connection =>
        {
            if (connection.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>() is { } handshake)
            {
                Metrics.TlsHandshakeCompleted(handshake.Protocol, ProxyMetrics.KeyTypeLabel(connection.Features.Get<TlsConnectionState>()));
            }

            return next(connection);
        };

    /// <summary>Per TLS host, when the first of its certificates expires (certificate expiry metric).</summary>
    private static IEnumerable<(string Host, DateTimeOffset NotAfter)> CertificateExpiries(TlsConfiguration tls)
    {
        foreach (var host in tls.Hosts)
        {
            var certificates = tls.Resolve(host).Certificates;
            if (!certificates.IsDefaultOrEmpty)
            {
                yield return (host, certificates.Min(static c => new DateTimeOffset(c.Leaf.NotAfter.ToUniversalTime())));
            }
        }
    }

    private static int BoundPort(WebApplication app, string scheme)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        foreach (var address in addresses)
        {
            var uri = new Uri(address);
            if (uri.Scheme == scheme)
            {
                return uri.Port;
            }
        }

        throw new InvalidOperationException("The server did not report a bound address.");
    }

    /// <summary>Keeps the generic host from installing its own SIGTERM/SIGINT handling.</summary>
    private sealed class NoopHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
