namespace Gatehouse.Proxy.Http1;

/// <summary>How a request's body is framed (RFC 9112 6.3).</summary>
internal enum Http1BodyKind
{
    /// <summary>No body: neither Content-Length nor Transfer-Encoding (or Content-Length: 0).</summary>
    None,

    /// <summary>Exactly <see cref="Http1RequestHead.ContentLength"/> bytes follow the head.</summary>
    ContentLength,

    /// <summary>Transfer-Encoding: chunked.</summary>
    Chunked,
}
