using Gatehouse.Proxy.Http2;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// One request head as <c>Http1HeadParser</c> read it: the request line, the fields, and what
/// they decide about framing and the connection. One per connection, reset between requests.
/// </summary>
internal sealed class Http1RequestHead
{
    /// <summary>The method; the known ones are the <see cref="Microsoft.AspNetCore.Http.HttpMethods"/> strings.</summary>
    public string Method { get; set; } = string.Empty;

    /// <summary>The request-target exactly as sent.</summary>
    public string RawTarget { get; set; } = string.Empty;

    /// <summary>The decoded path, as Kestrel's HTTP/1.1 parser gives it (see <see cref="Http2RequestTarget"/>).</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>"" or the raw query, '?' included.</summary>
    public string QueryString { get; set; } = string.Empty;

    /// <summary>HTTP/1.1; false for HTTP/1.0.</summary>
    public bool IsHttp11 { get; set; }

    /// <summary>The fields, in arrival order; names as sent, values trimmed of surrounding whitespace.</summary>
    public Http2RequestHeaders Headers { get; } = new();

    public Http1BodyKind BodyKind { get; set; }

    /// <summary>The body's length when <see cref="BodyKind"/> is <see cref="Http1BodyKind.ContentLength"/>.</summary>
    public long ContentLength { get; set; }

    /// <summary>The connection may carry another request after this one (version default and Connection tokens, framing).</summary>
    public bool KeepAlive { get; set; }

    /// <summary>Expect: 100-continue was sent.</summary>
    public bool ExpectContinue { get; set; }

    /// <summary>Connection: upgrade with an Upgrade field (HTTP/1.1 only): the request may switch protocols.</summary>
    public bool IsUpgrade { get; set; }

    /// <summary>The authority the request is for: the Host field, or the absolute-form target's.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>
    /// The last origin-form target parsed on this connection and its Path and QueryString. Kept across
    /// <see cref="Reset"/>: clients repeat targets, and a repeat then costs a comparison, not three strings.
    /// </summary>
    internal (string Raw, string Path, string QueryString)? LastOriginTarget { get; set; }

    public void Reset()
    {
        Method = string.Empty;
        RawTarget = string.Empty;
        Path = string.Empty;
        QueryString = string.Empty;
        IsHttp11 = false;
        Headers.Reset();
        BodyKind = Http1BodyKind.None;
        ContentLength = 0;
        KeepAlive = false;
        ExpectContinue = false;
        IsUpgrade = false;
        Host = string.Empty;
    }
}
