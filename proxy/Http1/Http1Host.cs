using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// Serves one cleartext listener with the proxy's own HTTP/1.1 server, in place of Kestrel's connection
/// dispatcher: each accepted connection starts on the event loop thread that accepted it. Keeps the
/// open connections for the once-a-second deadline check and for a graceful stop.
/// </summary>
internal sealed class Http1Host : IAsyncDisposable
{
    private readonly ConnectionSet<Http1ServerConnection> _connections = new();
    private readonly DirectListener _listener;
    private readonly RequestHandler _handler;
    private readonly Http1Limits _limits;
    private readonly ILogger _logger;
    private readonly Timer _deadlines;

    /// <param name="connectionMiddleware">Runs around each connection (the traffic listener's connection counting), as on Kestrel's listener.</param>
    /// <param name="onRejected">Told the status of every request head refused before the handler (a metric).</param>
    public Http1Host(RequestHandler handler, Http1Limits limits, Func<ConnectionDelegate, ConnectionDelegate> connectionMiddleware, ILogger logger, Action<int>? onRejected = null)
    {
        _logger = logger;
        _handler = handler;
        _limits = limits;
        OnRejected = onRejected;
        _listener = new DirectListener(connectionMiddleware(connection => ServeAsync(connection, isTls: false)), logger, "An HTTP/1.1 connection failed");
        _deadlines = new Timer(static state => ((Http1Host)state!).CheckDeadlines(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public System.Net.EndPoint? EndPoint => _listener.EndPoint;

    internal Action<int>? OnRejected { get; }

    public void Listen(EpollTransportFactory transport, System.Net.IPEndPoint endPoint) => _listener.Listen(transport, endPoint);

    /// <summary>
    /// Serves one connection to its end and disposes it: a cleartext one from this host's listener, or
    /// one the HTTPS listener handed over after its handshake (ALPN http/1.1). Both count for the
    /// deadline check and the graceful stop.
    /// </summary>
    public Task ServeAsync(ConnectionContext connection, bool isTls)
        => new Http1ServerConnection(connection, _handler, _limits, this, _logger, isTls).ProcessAsync();

    internal void Register(Http1ServerConnection connection)
    {
        if (_connections.Add(connection))
        {
            // Handed over by the HTTPS listener after the stop began: one response at most, then close.
            connection.RequestClose();
        }
    }

    internal void Unregister(Http1ServerConnection connection) => _connections.Remove(connection);

    private void CheckDeadlines()
    {
        var now = Environment.TickCount64;
        foreach (var connection in _connections.Connections)
        {
            connection.CheckDeadline(now);
        }
    }

    /// <summary>
    /// Stops accepting; idle connections close now, busy ones after their response. Once
    /// <paramref name="cancellationToken"/> fires (the shutdown timeout), what is left is aborted.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _listener.StopAsync().ConfigureAwait(false);
        await _connections.DrainAsync(
            static connection => connection.RequestClose(),
            static connection => connection.Abort("The server is shutting down."),
            _logger,
            "HTTP/1.1",
            cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        await _deadlines.DisposeAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
    }
}
