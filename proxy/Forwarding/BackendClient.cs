using System.Net;
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

    private static SocketsHttpHandler CreateHandler(ForwarderOptions options)
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
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            Expect100ContinueTimeout = options.Expect100ContinueTimeout,
            EnableMultipleHttp2Connections = true,
            MaxResponseHeadersLength = 64,

            // Like ingress-nginx's proxy_ssl_verify off: backends are addressed by pod IP, so their
            // certificates cannot be verified against a name anyway.
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        };
    }
}
