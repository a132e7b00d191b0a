using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Http2;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Serves the HTTPS listener without Kestrel: each accepted connection starts on the event loop that
/// accepted it, its ClientHello is peeked (certificate and host settings, as <see cref="TlsHandshakeHandler"/>
/// decides them for Kestrel), the handshake runs on SslStream, and ALPN hands the connection to the
/// proxy's HTTP/2 server (h2) or HTTP/1.1 server (anything else). No thread-pool hop before the first
/// request, and HTTP/1.1 over TLS gets the same server as cleartext.
/// </summary>
internal sealed partial class HttpsHost : IAsyncDisposable
{
    /// <summary>Kestrel's default: a client that has not finished its handshake by then is dropped.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    private static readonly List<SslApplicationProtocol> ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    private readonly ConnectionSet<TlsServerConnection> _connections = new();
    private readonly TlsHandshakeHandler _handshakes;
    private readonly Http1Host _http1;
    private readonly Http2ConnectionMiddleware _http2;
    private readonly Action<SslProtocols, TlsConnectionState?> _onHandshake;
    private readonly Action<string>? _onHandshakeFailed;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ILogger _logger;
    private readonly DirectListener _listener;

    /// <param name="connectionMiddleware">Runs around each connection before TLS (connection and byte counting), as on Kestrel's listener.</param>
    /// <param name="onHandshake">Told each completed handshake's protocol and state (the handshake metric).</param>
    /// <param name="onHandshakeFailed">Told why a handshake did not complete: protocol, closed or timeout (a metric); not told of those a stop drops.</param>
    public HttpsHost(
        TlsHandshakeHandler handshakes,
        Http1Host http1,
        Http2ConnectionMiddleware http2,
        Func<ConnectionDelegate, ConnectionDelegate> connectionMiddleware,
        Action<SslProtocols, TlsConnectionState?> onHandshake,
        TimeSpan handshakeTimeout,
        ILogger logger,
        Action<string>? onHandshakeFailed = null)
    {
        _onHandshakeFailed = onHandshakeFailed;
        _handshakes = handshakes;
        _http1 = http1;
        _http2 = http2;
        _onHandshake = onHandshake;
        _handshakeTimeout = handshakeTimeout;
        _logger = logger;
        _listener = new DirectListener(connectionMiddleware(ServeAsync), logger, "An HTTPS connection failed");
    }

    public EndPoint? EndPoint => _listener.EndPoint;

    public void Listen(EpollTransportFactory transport, IPEndPoint endPoint) => _listener.Listen(transport, endPoint);

    private async Task ServeAsync(ConnectionContext accepted)
    {
        var connection = new TlsServerConnection(accepted);
        var draining = _connections.Add(connection);
        try
        {
            // A stop that began after the listener accepted it, but before it was listed, did not ask
            // it to close: it goes now, as a handshake the stop found would.
            if (draining || !await HandshakeAsync(connection).ConfigureAwait(false) || _connections.IsDraining)
            {
                return;
            }

            _onHandshake(connection.Protocol, connection.State);
            if (connection.IsHttp2)
            {
                await _http2.ServeTlsAsync(connection).ConfigureAwait(false);
            }
            else
            {
                CountPlaintext(accepted, connection);
                await _http1.ServeAsync(connection, isTls: true).ConfigureAwait(false);
            }
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            _connections.Remove(connection);
        }
    }

    /// <summary>
    /// Where the accepted connection's bytes are counted (the traffic listener's telemetry), an HTTP/1.1
    /// request's sizes become its decrypted bytes, as nginx's <c>$request_length</c> and
    /// <c>$bytes_sent</c> are: counted on the socket they would include record overhead, and the first
    /// request the whole handshake with the certificate chain. HTTP/2 streams count their own frames.
    /// </summary>
    private static void CountPlaintext(ConnectionContext accepted, TlsServerConnection connection)
    {
        if (accepted.Features.Get<ConnectionByteCounter>() is null)
        {
            return;
        }

        // The plaintext pipe counts by itself: the counter reads its totals and wraps nothing.
        var plaintext = new ConnectionByteCounter(connection.Transport);
        if (plaintext.WrapsTransport)
        {
            connection.Transport = plaintext;
        }

        connection.Features.Set(plaintext);
    }

    /// <returns>False when the handshake failed, timed out or the client left; already logged.</returns>
    private async Task<bool> HandshakeAsync(TlsServerConnection connection)
    {
        // The stop's close request ends a handshake still running too: otherwise a client that
        // connected and sent nothing would hold the stop for the handshake timeout.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosedRequested);
        timeout.CancelAfter(_handshakeTimeout);
        try
        {
            var hello = await ClientHelloPeek.ReadAsync(connection.Transport.Input, timeout.Token).ConfigureAwait(false);
            var options = _handshakes.CreateOptions(hello, ApplicationProtocols, out var state);
            await connection.AuthenticateAsync(options, state, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (connection.ConnectionClosedRequested.IsCancellationRequested)
        {
            Log.HandshakeDroppedAtStop(_logger, connection.ConnectionId);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Log.HandshakeTimedOut(_logger, connection.ConnectionId, _handshakeTimeout.TotalSeconds);
            _onHandshakeFailed?.Invoke("timeout");
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that does not speak TLS, offers nothing in common, or left mid-handshake:
            // as on Kestrel's listener, worth a Debug line and nothing more.
            Log.HandshakeFailed(_logger, connection.ConnectionId, ex.Message);
            _onHandshakeFailed?.Invoke(ex is AuthenticationException ? "protocol" : "closed");
        }

        return false;
    }

    /// <summary>
    /// Stops accepting; HTTP/2 connections get GOAWAY and finish their streams, HTTP/1.1 ones close after
    /// their response (their own host tells them), handshakes still running are dropped at once. Once
    /// <paramref name="cancellationToken"/> fires (the shutdown timeout), what is left is aborted.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _listener.StopAsync().ConfigureAwait(false);
        await _connections.DrainAsync(
            static connection => connection.RequestClose(),
            static connection => connection.Abort(new ConnectionAbortedException("The server is shutting down.")),
            _logger,
            "HTTPS",
            cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId}: the TLS handshake did not finish within {Seconds} s")]
        public static partial void HandshakeTimedOut(ILogger logger, string connectionId, double seconds);

        [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId}: the TLS handshake failed: {Reason}")]
        public static partial void HandshakeFailed(ILogger logger, string connectionId, string reason);

        [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId}: the TLS handshake was dropped, the server is stopping")]
        public static partial void HandshakeDroppedAtStop(ILogger logger, string connectionId);
    }
}
