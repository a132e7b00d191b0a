using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Idle keep-alive connections to one backend endpoint. Lock-free: a queue of idle connections, each
/// checked when taken (idle timeout, closed or readable while idle) and by a periodic sweep.
/// </summary>
internal sealed class Http1ConnectionPool
{
    // Beyond this many idle connections a returned one is closed: more would only be kept warm for a burst that is over.
    private const int MaxIdle = 512;

    private readonly ConcurrentQueue<Http1Connection> _idle = new();
    private readonly long _idleTimeoutTicks;
    private int _idleCount;

    public Http1ConnectionPool(EndpointConfig endpoint, TimeSpan idleTimeout)
    {
        Endpoint = endpoint;
        Authority = endpoint.ToString();
        _idleTimeoutTicks = (long)(idleTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public EndpointConfig Endpoint { get; }

    /// <summary>host:port of the endpoint, the Host header for a request that came without one.</summary>
    public string Authority { get; }

    public int IdleCount => Volatile.Read(ref _idleCount);

    /// <summary>An idle connection still fit for a request, or null.</summary>
    public Http1Connection? TryRent()
    {
        var now = Stopwatch.GetTimestamp();
        while (_idle.TryDequeue(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            if (now - connection.IdleSince < _idleTimeoutTicks && connection.IsReusable())
            {
                return connection;
            }

            connection.Dispose();
        }

        return null;
    }

    /// <summary>Closes idle connections past their timeout or closed by the backend; the rest go back.</summary>
    public void CloseExpired()
    {
        var now = Stopwatch.GetTimestamp();
        for (var n = IdleCount; n > 0 && _idle.TryDequeue(out var connection); n--)
        {
            Interlocked.Decrement(ref _idleCount);
            if (now - connection.IdleSince < _idleTimeoutTicks && connection.IsReusable())
            {
                Interlocked.Increment(ref _idleCount);
                _idle.Enqueue(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    public void CloseAll()
    {
        while (_idle.TryDequeue(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
        }
    }

    public void Return(Http1Connection connection)
    {
        connection.Reused = true;
        connection.IdleSince = Stopwatch.GetTimestamp();
        if (Interlocked.Increment(ref _idleCount) <= MaxIdle)
        {
            _idle.Enqueue(connection);
            return;
        }

        Interlocked.Decrement(ref _idleCount);
        connection.Dispose();
    }
}
