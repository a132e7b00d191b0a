using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// The open connections of one of the proxy's own servers, for its periodic deadline check and its
/// graceful stop: once draining, the last connection to leave ends the drain.
/// </summary>
internal sealed class ConnectionSet<T>
    where T : notnull
{
    private readonly ConcurrentDictionary<T, byte> _connections = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _draining;

    public ICollection<T> Connections => _connections.Keys;

    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <returns>True when the set is draining already: the caller should close the connection soon.</returns>
    public bool Add(T connection)
    {
        _connections.TryAdd(connection, 0);
        return IsDraining;
    }

    public void Remove(T connection)
    {
        _connections.TryRemove(connection, out _);
        if (IsDraining && _connections.IsEmpty)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Asks every connection to close (<paramref name="requestClose"/>) and waits until all have left.
    /// Once <paramref name="cancellationToken"/> fires (the shutdown timeout), the rest are aborted.
    /// </summary>
    public async Task DrainAsync(Action<T> requestClose, Action<T> abort, ILogger logger, string what, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _draining, 1) != 0)
        {
            return;
        }

        foreach (var connection in _connections.Keys)
        {
            requestClose(connection);
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
            logger.LogWarning("{Count} {What} connections did not finish within the shutdown timeout and were aborted", _connections.Count, what);
            foreach (var connection in _connections.Keys)
            {
                abort(connection);
            }

            await _drained.Task.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
    }
}
