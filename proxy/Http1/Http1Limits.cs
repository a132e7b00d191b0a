namespace Gatehouse.Proxy.Http1;

/// <summary>
/// What one HTTP/1.1 client connection may ask of the proxy's own HTTP/1.1 server. The defaults are the
/// ones the proxy gave Kestrel (and Kestrel's own where the proxy set none), so switching servers
/// changes no limit an operator relies on.
/// </summary>
public sealed record Http1Limits
{
    /// <summary>A request line longer than this is answered 414.</summary>
    public int MaxRequestLineSize { get; init; } = 8 * 1024;

    /// <summary>
    /// The field lines after the request line (their CRLFs included, the final empty line not) over this are
    /// answered 431: Kestrel's MaxRequestHeadersTotalSize, measured as Kestrel measures it.
    /// </summary>
    public int MaxRequestHeadersTotalSize { get; init; } = 64 * 1024;

    /// <summary>More header fields than this are answered 431.</summary>
    public int MaxRequestHeaderCount { get; init; } = 100;

    /// <summary>A chunk-size line (size, extensions and CRLF) longer than this is a bad request.</summary>
    public int MaxChunkLineSize { get; init; } = 4 * 1024;

    /// <summary>The trailer section of a chunked request body over this is a bad request.</summary>
    public int MaxTrailersTotalSize { get; init; } = 16 * 1024;

    /// <summary>An idle connection (between requests) is closed after this.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>A request head, once its first byte arrived, must be complete within this (slowloris).</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While the request body is being read, the client must send something within this of each read
    /// (nginx's client_body_timeout); otherwise the connection is closed.
    /// </summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A request body the application did not read (it answered early) is read and dropped after the
    /// response for at most this long, so the connection can carry another request; then it is closed.
    /// Kestrel's request body drain timeout.
    /// </summary>
    public TimeSpan BodyDrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A response the client stops reading (the socket's send buffer stays full) for this long loses its connection (nginx's send_timeout).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
