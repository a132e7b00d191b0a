namespace Gatehouse.Proxy.Hosting;

/// <summary>Which HTTP/1.1 server answers the cleartext traffic listener (<c>--http1-server</c>).</summary>
public enum Http1Server
{
    /// <summary>
    /// The proxy's own (proxy/Http1): a connection is served on the event loop that accepted it, with no
    /// hand-off to the thread pool. Needs the epoll transport; with the socket transport Kestrel answers.
    /// </summary>
    Gatehouse,

    /// <summary>Kestrel's HTTP/1.1: every accepted connection is dispatched to the thread pool first.</summary>
    Kestrel,
}
