using Gatehouse.Proxy.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// Kestrel connection middleware that takes h2 connections away from Kestrel's HTTP layer: after the
/// TLS handshake when ALPN chose h2, or every connection of a prior-knowledge (h2c) listener. Anything
/// else continues to Kestrel (HTTP/1.1).
/// </summary>
internal sealed class Http2ConnectionMiddleware
{
    private readonly RequestHandler _handler;
    private readonly Http2Limits _limits;
    private readonly ILogger _logger;
    private readonly Action<string, Http2ErrorCode>? _onError;

    public Http2ConnectionMiddleware(RequestHandler handler, Http2Limits limits, ILogger logger, Action<string, Http2ErrorCode>? onError = null)
    {
        _onError = onError;
        _handler = handler;
        _limits = limits;
        _logger = logger;
    }

    /// <summary>For the HTTPS listener, after UseHttps: h2 by ALPN comes here, the rest goes on.</summary>
    public ConnectionDelegate AfterTls(ConnectionDelegate next)
        => connection => connection.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true
            ? new Http2Connection(connection, _handler, _limits, isTls: true, _logger, _onError).ProcessAsync()
            : next(connection);

    /// <summary>Serves an h2 connection of the proxy's own HTTPS listener (ALPN chose h2) to its end.</summary>
    public Task ServeTlsAsync(ConnectionContext connection)
        => new Http2Connection(connection, _handler, _limits, isTls: true, _logger, _onError).ProcessAsync();

    /// <summary>For a cleartext listener that speaks only HTTP/2 (prior knowledge).</summary>
    public ConnectionDelegate PriorKnowledge(ConnectionDelegate next)
        => connection => new Http2Connection(connection, _handler, _limits, isTls: false, _logger, _onError).ProcessAsync();
}
