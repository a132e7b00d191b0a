namespace Gatehouse.Proxy.Transport;

/// <summary>What carries the traffic listeners' connections (<c>--transport</c>).</summary>
public enum ProxyTransport
{
    /// <summary>Kestrel's socket transport on .NET's socket engine.</summary>
    Sockets,

    /// <summary>The proxy's own event loops: epoll, reads only on readiness, both legs of a request on one thread.</summary>
    Epoll,
}
