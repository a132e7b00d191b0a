using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Transport;

/// <summary>The proxy's event loops (<c>--event-loops</c>); connections are spread over them in turn.</summary>
internal sealed class EpollLoopGroup : IDisposable
{
    private readonly EpollLoop[] _loops;
    private uint _next;
    private long _accepted;

    public EpollLoopGroup(int count, ILoggerFactory loggerFactory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var logger = loggerFactory.CreateLogger<EpollLoop>();
        _loops = new EpollLoop[count];
        for (var i = 0; i < count; i++)
        {
            _loops[i] = new EpollLoop($"gatehouse-loop-{i}", logger, i);
        }
    }

    public int Count => _loops.Length;

    /// <summary>The loop at <paramref name="index"/> (its <see cref="EpollLoop.Index"/>).</summary>
    public EpollLoop this[int index] => _loops[index];

    /// <summary>Client connections accepted by the listeners on these loops since start.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    internal void CountAccepted() => Interlocked.Increment(ref _accepted);

    /// <summary>The next loop in turn, for a new connection.</summary>
    public EpollLoop Next() => _loops.Length == 1 ? _loops[0] : _loops[(int)(Interlocked.Increment(ref _next) % (uint)_loops.Length)];

    /// <summary>The loop running the caller if it is one of ours (so both legs of a request share a thread), else the next.</summary>
    public EpollLoop CurrentOrNext() => EpollLoop.Current is { } current && Array.IndexOf(_loops, current) >= 0 ? current : Next();

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }
}
