namespace Gatehouse.Proxy.Forwarding;

/// <summary>Which HTTP client carries requests to plain-HTTP backends (<c>--upstream-client</c>).</summary>
public enum UpstreamClient
{
    /// <summary>SocketsHttpHandler through HttpRequestMessage (<see cref="HttpForwarder"/>), for every backend.</summary>
    Sockets,

    /// <summary>The pooled HTTP/1.1 pipe client (<see cref="Http1.LeanHttp1Forwarder"/>) for plain-HTTP backends; the rest as Sockets.</summary>
    Lean,
}
