namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>What the strict parser learned from a backend's status line and header section.</summary>
internal struct Http1ResponseHead
{
    public int Status;

    /// <summary>Content-Length, or -1 when absent.</summary>
    public long ContentLength;

    public bool Chunked;

    /// <summary>The connection cannot carry another request (Connection: close, HTTP/1.0).</summary>
    public bool ConnectionClose;

    /// <summary>The Connection header's value when it names headers other than keep-alive/close (they are hop-by-hop too).</summary>
    public string? ConnectionTokens;
}
