namespace Gatehouse.Proxy.Hosting;

/// <summary>Which HTTP/2 server answers h2 connections (<c>--http2-server</c>).</summary>
public enum Http2Server
{
    /// <summary>The proxy's own (proxy/Http2): streams run on the thread that read them.</summary>
    Gatehouse,

    /// <summary>Kestrel's HTTP/2: every stream is dispatched to the thread pool.</summary>
    Kestrel,
}
