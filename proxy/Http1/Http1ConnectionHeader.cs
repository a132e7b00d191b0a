namespace Gatehouse.Proxy.Http1;

/// <summary>The Connection field the server adds to a response head.</summary>
internal enum Http1ConnectionHeader
{
    None,

    /// <summary>The connection ends after this response.</summary>
    Close,

    /// <summary>An HTTP/1.0 client asked to keep the connection and it stays open.</summary>
    KeepAlive,
}
