using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// The long-lived connection pool of one backend: a SocketsHttpHandler wrapped in an
/// HttpMessageInvoker. Shared by every route table generation in which the backend keeps its name and
/// protocol, so a config swap never drops warm connections. Requests take a lease while they use it;
/// once retired, it is disposed when the grace period has passed and no lease is outstanding.
/// </summary>
internal sealed class BackendClient : IDisposable
{
    /// <summary>A route's own proxy-connect-timeout, set on a request only when it differs from the proxy's default.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutOption = new("Gatehouse.ConnectTimeout");

    private int _leases;
    private int _disposed;
    private volatile bool _retired;
    private readonly TaskCompletionSource _disposal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackendClient(string name, BackendProtocol protocol, ForwarderOptions options)
    {
        Name = name;
        Protocol = protocol;
        var isHttp2 = protocol is BackendProtocol.Grpc or BackendProtocol.Grpcs;
        RequestVersion = isHttp2 ? HttpVersion.Version20 : HttpVersion.Version11;

        // gRPC needs HTTP/2 end to end (prior knowledge on cleartext); plain HTTP backends get
        // HTTP/1.1, which is what Ingress backends are expected to speak and what upgrades need.
        VersionPolicy = isHttp2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower;
        UsesTls = protocol is BackendProtocol.Https;
        Handler = CreateHandler(options);
        Invoker = new HttpMessageInvoker(Handler, disposeHandler: true);
    }

    public string Name { get; }

    public BackendProtocol Protocol { get; }

    public Version RequestVersion { get; }

    public HttpVersionPolicy VersionPolicy { get; }

    public SocketsHttpHandler Handler { get; }

    public HttpMessageInvoker Invoker { get; }

    public bool IsRetired => _retired;

    /// <summary>HTTPS: every new connection is wrapped in TLS by the connect callback (GRPCS uses the handler's TLS).</summary>
    public bool UsesTls { get; }

    /// <summary>proxy-ssl-* of this pool; null: no client certificate, no verification, no SNI (ingress-nginx's defaults).</summary>
    public Tls.BackendTlsSettings? TlsSettings { get; private set; }

    /// <summary>Sets the pool's proxy-ssl-* before its first request (a change of settings gets a new pool).</summary>
    public void UseTls(Tls.BackendTlsSettings settings)
    {
        TlsSettings = settings;
        if (Protocol is BackendProtocol.Grpcs)
        {
            settings.ApplyToHandler(Handler.SslOptions);
        }
    }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public int ActiveLeases => Volatile.Read(ref _leases);

    /// <summary>Completes when the client has been disposed (observability for retirement).</summary>
    public Task Disposal => _disposal.Task;

    public void Acquire() => Interlocked.Increment(ref _leases);

    public void Release() => Interlocked.Decrement(ref _leases);

    /// <summary>Marks the client as no longer referenced by the current route table.</summary>
    public void Retire() => _retired = true;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Invoker.Dispose();
            _disposal.TrySetResult();
        }
    }

    private SocketsHttpHandler CreateHandler(ForwarderOptions options)
    {
        return new SocketsHttpHandler
        {
            // A proxy forwards exactly what it received: no proxies, redirects, cookies,
            // decompression or tracing headers of its own.
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            // The connect callback enforces the timeout per request (proxy-connect-timeout per route);
            // the handler's own limit would cap a route asking for more than the default.
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context, options.ConnectTimeout, cancellationToken),
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            Expect100ContinueTimeout = options.Expect100ContinueTimeout,
            EnableMultipleHttp2Connections = true,

            // GRPCS only (HTTPS does its TLS in the connect callback): proxy_ssl_verify off by default.
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
            MaxResponseHeadersLength = 64,

        };
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, TimeSpan defaultTimeout, CancellationToken cancellationToken)
    {
        var request = context.InitialRequestMessage;
        var timeout = request.Options.TryGetValue(ConnectTimeoutOption, out var own) ? own : defaultTimeout;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Stream stream;
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, deadline.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();

            // Not a cancellation: the forwarder tells a connect timeout (504, proxy-next-upstream timeout) by this.
            throw new TimeoutException($"connect to {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (!UsesTls)
        {
            return stream;
        }

        // The TLS handshake is part of connecting (nginx's proxy_connect_timeout covers it too).
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            var requestHost = request.Headers.Host ?? request.RequestUri?.IdnHost;
            var ssl = Tls.BackendTlsSettings.ClientOptions(TlsSettings, HostName(requestHost), http2: false);
            await tls.AuthenticateAsClientAsync(ssl, deadline.Token).ConfigureAwait(false);
            return tls;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"TLS handshake with {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The host part of a Host header ("shop.example.com:8443" → "shop.example.com", "[::1]:80" → "::1").</summary>
    private static string? HostName(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return null;
        }

        if (host[0] == '[')
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? host[1..close] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon > 0 ? host[..colon] : host;
    }
}
