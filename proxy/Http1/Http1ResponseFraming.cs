namespace Gatehouse.Proxy.Http1;

/// <summary>How a response's body is delimited on the wire, decided when its head is written.</summary>
internal enum Http1ResponseFraming
{
    /// <summary>No body may follow (HEAD, 1xx, 204, 304): whatever the application writes is dropped.</summary>
    None,

    /// <summary>Content-Length bytes follow; writing more is an error, fewer ends the connection.</summary>
    ContentLength,

    /// <summary>Transfer-Encoding: chunked, written by the server as the application flushes.</summary>
    Chunked,

    /// <summary>An HTTP/1.0 client without a Content-Length: the body ends when the connection closes.</summary>
    UntilClose,
}
