using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A loopback port nothing listens on, held by a socket that is bound but never listens: connecting
/// to it is refused, and while it is held the kernel gives the port to no other socket asking for a
/// free one. A port found free and released at once can be handed to another test's listener running
/// in parallel, which then answers where the test expects a refusal.
/// </summary>
internal sealed class ClosedPort : IDisposable
{
    private static readonly ConcurrentBag<ClosedPort> HeldForTheRun = [];

    private readonly Socket _holder;

    public ClosedPort()
    {
        _holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_holder.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>A refused port kept closed until the test run ends.</summary>
    public static int Next()
    {
        var port = new ClosedPort();
        HeldForTheRun.Add(port);
        return port.Port;
    }

    /// <summary>Lets the port go, for a test that brings a listener up on it.</summary>
    public void Dispose() => _holder.Dispose();
}
