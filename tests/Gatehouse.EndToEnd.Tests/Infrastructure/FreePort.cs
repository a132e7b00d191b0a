using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

internal static class FreePort
{
    // Below Linux's ephemeral range (32768-60999 by default): the kernel never hands these out for a
    // port-0 bind or an outgoing connection, so a port given here cannot be taken by an echo backend
    // binding port 0 (or any other process's client socket) before the program it is meant for starts.
    private const int First = 20000;
    private const int Count = 12000;

    // A random start per test process keeps two suites running at once apart.
    private static int _next = Random.Shared.Next(Count);

    /// <summary>A loopback port nothing listens on right now, for programs that take a port flag.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // In use (or lingering): try the next one.
            }
        }

        throw new InvalidOperationException("no free loopback port below the ephemeral range");
    }
}
