using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback port nothing listens on right now, for programs that take a port flag.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
