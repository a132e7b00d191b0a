using System.Collections.Concurrent;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// One timer for every HTTP/2 connection's keep-alive and headers timeouts: a tick a second walks the
/// open connections, instead of a timer armed and disarmed per connection on every request.
/// </summary>
internal static class Http2Deadlines
{
    private static readonly ConcurrentDictionary<Http2Connection, byte> Connections = new();
    private static readonly Lock Sync = new();
    private static Timer? _timer;

    public static void Register(Http2Connection connection)
    {
        Connections.TryAdd(connection, 0);
        if (Volatile.Read(ref _timer) is null)
        {
            lock (Sync)
            {
                _timer ??= new Timer(static _ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }
        }
    }

    public static void Unregister(Http2Connection connection) => Connections.TryRemove(connection, out _);

    private static void Tick()
    {
        var now = Environment.TickCount64;
        foreach (var connection in Connections.Keys)
        {
            connection.CheckDeadlines(now);
        }
    }
}
