namespace Gatehouse.Proxy.Hosting;

/// <summary>Who terminates TLS on the HTTPS listener (<c>--https-server</c>).</summary>
public enum HttpsServer
{
    /// <summary>
    /// The proxy's own (proxy/Tls/HttpsHost): the handshake runs on the event loop that accepted the
    /// connection, and ALPN hands it to the proxy's HTTP/1.1 or HTTP/2 server. Needs the epoll transport
    /// and both of the proxy's HTTP servers; otherwise Kestrel's HTTPS listener answers.
    /// </summary>
    Gatehouse,

    /// <summary>Kestrel's HTTPS listener: every accepted connection is dispatched to the thread pool first.</summary>
    Kestrel,
}
