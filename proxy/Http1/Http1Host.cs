using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<Http1ServerConnection, byte> _connections = new();
    private readonly ConnectionDelegate _pipeline;
    private readonly RequestDelegate _handler;
    private readonly Http1Limits _limits;
    private readonly ILogger _logger;
    private readonly Timer _deadlines;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EpollConnectionListener? _listener;
    private int _stopping;

    /// <param name="connectionMiddleware">Runs around each connection (the traffic listener's connection counting), as on Kestrel's listener.</param>
    /// <param name="onRejected">Told the status of every request head refused before the handler (a metric).</param>
    public Http1Host(RequestDelegate handler, Http1Limits limits, Func<ConnectionDelegate, ConnectionDelegate> connectionMiddleware, ILogger logger, Action<int>? onRejected = null)
    {
        _logger = logger;
        _handler = handler;
        _limits = limits;
        OnRejected = onRejected;
        _pipeline = connectionMiddleware(connection => ServeAsync(connection, isTls: false));
        _deadlines = new Timer(static state => ((Http1Host)state!).CheckDeadlines(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public System.Net.EndPoint? EndPoint => _listener?.EndPoint;

    internal Action<int>? OnRejected { get; }

    public void Listen(EpollTransportFactory transport, System.Net.IPEndPoint endPoint)
        => _listener = transport.BindDirect(endPoint, Accept);

    /// <summary>
    /// Serves one connection to its end and disposes it: a cleartext one from this host's listener, or
    /// one the HTTPS listener handed over after its handshake (ALPN http/1.1). Both count for the
    /// deadline check and the graceful stop.
    /// </summary>
    public Task ServeAsync(ConnectionContext connection, bool isTls)
        => new Http1ServerConnection(connection, _handler, _limits, this, _logger, isTls).ProcessAsync();

    private void Accept(EpollConnection connection)
    {
        if (Volatile.Read(ref _stopping) != 0)
        {
            _ = connection.DisposeAsync().AsTask();
            return;
        }

        Task task;
        try
        {
            task = _pipeline(connection);
        }
        catch (Exception ex)
        {
            task = Task.FromException(ex);
        }

        if (!task.IsCompleted)
        {
            _ = ObserveAsync(task);
        }
        else if (task.IsFaulted)
        {
            LogFailure(task.Exception!);
        }
    }

    private async Task ObserveAsync(Task connection)
    {
        try
        {
            await connection.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogFailure(ex);
        }
    }

    private void LogFailure(Exception ex) => _logger.LogError(ex, "An HTTP/1.1 connection failed");

    internal void Register(Http1ServerConnection connection)
    {
        _connections.TryAdd(connection, 0);
        if (Volatile.Read(ref _stopping) != 0)
        {
            // Handed over by the HTTPS listener after the stop began: one response at most, then close.
            connection.RequestClose();
        }
    }

    internal void Unregister(Http1ServerConnection connection)
    {
        _connections.TryRemove(connection, out _);
        if (Volatile.Read(ref _stopping) != 0 && _connections.IsEmpty)
        {
            _drained.TrySetResult();
        }
    }

    private void CheckDeadlines()
    {
        var now = Environment.TickCount64;
        foreach (var connection in _connections.Keys)
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
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        if (_listener is not null)
        {
            await _listener.UnbindAsync(CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.RequestClose();
        }

        if (_connections.IsEmpty)
        {
            _drained.TrySetResult();
        }

        try
        {
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("{Count} HTTP/1.1 connections did not finish within the shutdown timeout and were aborted", _connections.Count);
            foreach (var connection in _connections.Keys)
            {
                connection.Abort("The server is shutting down.");
            }

            await _drained.Task.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        await _deadlines.DisposeAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
    }
}
