using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// A traffic listener bound through the epoll transport outside Kestrel: each accepted connection's
/// pipeline starts on the loop thread that accepted it, with no dispatcher hop. A connection's failure
/// is logged; after <see cref="StopAsync"/> nothing more is accepted.
/// </summary>
internal sealed class DirectListener : IAsyncDisposable
{
    private readonly ConnectionDelegate _pipeline;
    private readonly ILogger _logger;
    private readonly string _failureMessage;
    private EpollConnectionListener? _listener;
    private int _stopped;

    /// <param name="failureMessage">Logged (Error) with the exception of a connection that failed.</param>
    public DirectListener(ConnectionDelegate pipeline, ILogger logger, string failureMessage)
    {
        _pipeline = pipeline;
        _logger = logger;
        _failureMessage = failureMessage;
    }

    public EndPoint? EndPoint => _listener?.EndPoint;

    public void Listen(EpollTransportFactory transport, IPEndPoint endPoint)
        => _listener = transport.BindDirect(endPoint, Accept);

    /// <summary>Stops accepting: the socket is unbound and a connection accepted meanwhile is closed.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0 && _listener is not null)
        {
            await _listener.UnbindAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void Accept(EpollConnection connection)
    {
        if (Volatile.Read(ref _stopped) != 0)
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

    private void LogFailure(Exception ex) => _logger.LogError(ex, "{Failure}", _failureMessage);

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
    }
}
