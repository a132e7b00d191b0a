using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Idle keep-alive connections to one backend endpoint. Lock-free: a queue of idle connections per
/// event loop, each checked when taken (idle timeout, closed or readable while idle) and by a
/// periodic sweep.
/// </summary>
/// <remarks>
/// A connection goes back to the queue of the loop its socket lives on, and a request takes one from
/// its own loop's queue only: both legs of a request then run on one thread, as an nginx worker keeps
/// its own upstream connections. With one loop (or the runtime's sockets) there is one queue.
/// </remarks>
internal sealed class Http1ConnectionPool
{
    // Beyond this many idle connections a returned one is closed: more would only be kept warm for a burst that is over.
    private const int MaxIdle = 512;

    private readonly ConcurrentQueue<Http1Connection>[] _idle;
    private readonly long _idleTimeoutTicks;
    private int _idleCount;

    public Http1ConnectionPool(EndpointConfig endpoint, TimeSpan idleTimeout, int loops = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(loops, 1);
        _idle = new ConcurrentQueue<Http1Connection>[loops];
        for (var i = 0; i < loops; i++)
        {
            _idle[i] = new ConcurrentQueue<Http1Connection>();
        }

        Endpoint = endpoint;
        Authority = endpoint.ToString();
        _idleTimeoutTicks = (long)(idleTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public EndpointConfig Endpoint { get; }

    /// <summary>host:port of the endpoint, the Host header for a request that came without one.</summary>
    public string Authority { get; }

    public int IdleCount => Volatile.Read(ref _idleCount);

    /// <summary>An idle connection on loop <paramref name="loop"/> still fit for a request, or null.</summary>
    public Http1Connection? TryRent(int loop = 0)
    {
        var now = Stopwatch.GetTimestamp();
        var idle = _idle[loop];
        while (idle.TryDequeue(out var connection))
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
        foreach (var idle in _idle)
        {
            for (var n = idle.Count; n > 0 && idle.TryDequeue(out var connection); n--)
            {
                Interlocked.Decrement(ref _idleCount);
                if (now - connection.IdleSince < _idleTimeoutTicks && connection.IsReusable())
                {
                    Interlocked.Increment(ref _idleCount);
                    idle.Enqueue(connection);
                }
                else
                {
                    connection.Dispose();
                }
            }
        }
    }

    public void CloseAll()
    {
        foreach (var idle in _idle)
        {
            while (idle.TryDequeue(out var connection))
            {
                Interlocked.Decrement(ref _idleCount);
                connection.Dispose();
            }
        }
    }

    public void Return(Http1Connection connection)
    {
        connection.Reused = true;
        connection.IdleSince = Stopwatch.GetTimestamp();
        if (Interlocked.Increment(ref _idleCount) <= MaxIdle)
        {
            _idle[connection.LoopIndex].Enqueue(connection);
            return;
        }

        Interlocked.Decrement(ref _idleCount);
        connection.Dispose();
    }
}
