using System.Diagnostics;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Idle keep-alive connections to one backend endpoint: a stack of idle connections per event loop,
/// each checked when taken (idle timeout, closed or readable while idle) and by a periodic sweep.
/// </summary>
/// <remarks>
/// A connection goes back to the stack of the loop its socket lives on, and a request takes one from
/// its own loop's stack only: both legs of a request then run on one thread, as an nginx worker keeps
/// its own upstream connections. With one loop (or the runtime's sockets) there is one stack.
/// The most recently returned connection is taken first, as nginx's keepalive cache does: after a
/// burst (HTTP/2's streams, a load with more connections) steady traffic keeps reusing the few
/// connections it needs while the rest go idle and time out. A queue handed them out in turn, so
/// every idle connection stayed warm and each request touched a different one.
/// </remarks>
internal sealed class Http1ConnectionPool
{
    // Beyond this many idle connections a returned one is closed: more would only be kept warm for a burst that is over.
    private const int MaxIdle = 512;

    private readonly IdleStack[] _idle;
    private readonly long _idleTimeoutTicks;
    private int _idleCount;

    public Http1ConnectionPool(EndpointConfig endpoint, TimeSpan idleTimeout, int loops = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(loops, 1);
        _idle = new IdleStack[loops];
        for (var i = 0; i < loops; i++)
        {
            _idle[i] = new IdleStack();
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
        while (idle.TryPop(out var connection))
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
            // Taken out first, so no request can rent one while it is checked.
            var taken = idle.TakeAll();
            var kept = 0;
            foreach (var connection in taken)
            {
                if (now - connection.IdleSince < _idleTimeoutTicks && connection.IsReusable())
                {
                    taken[kept++] = connection;
                }
                else
                {
                    Interlocked.Decrement(ref _idleCount);
                    connection.Dispose();
                }
            }

            idle.PutBackUnder(taken.AsSpan(0, kept));
        }
    }

    public void CloseAll()
    {
        foreach (var idle in _idle)
        {
            foreach (var connection in idle.TakeAll())
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
            _idle[connection.LoopIndex].Push(connection);
            return;
        }

        Interlocked.Decrement(ref _idleCount);
        connection.Dispose();
    }

    /// <summary>
    /// A stack behind a lock. Renting and returning happen on the loop thread nearly always, so the
    /// lock is uncontended, and unlike ConcurrentStack a push allocates no node.
    /// </summary>
    private sealed class IdleStack
    {
        private readonly Lock _lock = new();
        private Http1Connection[] _items = new Http1Connection[16];
        private int _count;

        public void Push(Http1Connection connection)
        {
            lock (_lock)
            {
                if (_count == _items.Length)
                {
                    Array.Resize(ref _items, _items.Length * 2);
                }

                _items[_count++] = connection;
            }
        }

        public bool TryPop([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Http1Connection? connection)
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    connection = null;
                    return false;
                }

                connection = _items[--_count];
                _items[_count] = null!;
                return true;
            }
        }

        /// <summary>Empties the stack; the oldest connection first.</summary>
        public Http1Connection[] TakeAll()
        {
            lock (_lock)
            {
                var taken = _items.AsSpan(0, _count).ToArray();
                Array.Clear(_items, 0, _count);
                _count = 0;
                return taken;
            }
        }

        /// <summary>Puts older connections back beneath any returned since they were taken.</summary>
        public void PutBackUnder(ReadOnlySpan<Http1Connection> older)
        {
            if (older.IsEmpty)
            {
                return;
            }

            lock (_lock)
            {
                var merged = new Http1Connection[Math.Max(_items.Length, older.Length + _count)];
                older.CopyTo(merged);
                _items.AsSpan(0, _count).CopyTo(merged.AsSpan(older.Length));
                _items = merged;
                _count += older.Length;
            }
        }
    }
}
