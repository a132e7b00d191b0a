using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using static Gatehouse.Proxy.Transport.Native;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// Kestrel's transport for <c>--transport epoll</c>: listens on IP endpoints with sockets driven by
/// the proxy's own event loops. Kestrel above it (HTTP/1.1, HTTP/2, TLS) is unchanged.
/// </summary>
internal sealed class EpollTransportFactory(EpollLoopGroup loops, ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private const int Backlog = 4096;

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"The epoll transport listens on IP endpoints only, not {endpoint}.");
        }

        return ValueTask.FromResult<IConnectionListener>(Bind(ip, direct: null));
    }

    /// <summary>
    /// Listens outside Kestrel: every accepted connection goes to <paramref name="direct"/> on the thread
    /// that accepted it. Unbinding or disposing the listener stops accepting; the connections are the handler's.
    /// </summary>
    public EpollConnectionListener BindDirect(IPEndPoint endpoint, Action<EpollConnection> direct) => Bind(endpoint, direct);

    private unsafe EpollConnectionListener Bind(IPEndPoint ip, Action<EpollConnection>? direct)
    {
        var family = ip.AddressFamily == AddressFamily.InterNetwork ? AF_INET : AF_INET6;
        var fd = Check(socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
        try
        {
            var one = 1;
            Check(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)), "setsockopt(SO_REUSEADDR)");

            // Linux copies TCP_NODELAY from the listener to every connection it accepts: set once
            // here, it costs no system call per connection.
            Check(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int)), "setsockopt(TCP_NODELAY)");
            if (family == AF_INET6)
            {
                // [::] takes IPv4 clients too, as Kestrel's dual-mode sockets do.
                var v6Only = ip.Address.Equals(IPAddress.IPv6Any) ? 0 : 1;
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, sizeof(int));
            }

            var address = stackalloc byte[NativeSocketAddress.MaxLength];
            var length = NativeSocketAddress.Write(ip, address);
            if (bind(fd, address, length) < 0)
            {
                var errno = LastError;
                var error = new SocketException(ErrnoToSocketError(errno));
                if (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    throw new AddressInUseException(error.Message, error);
                }

                throw error;
            }

            Check(listen(fd, Backlog), "listen");
            length = NativeSocketAddress.MaxLength;
            Check(getsockname(fd, address, &length), "getsockname");
            var bound = NativeSocketAddress.Read(address, length) ?? ip;
            return new EpollConnectionListener(loops, fd, bound, loggerFactory.CreateLogger<EpollConnectionListener>(), direct);
        }
        catch
        {
            close(fd);
            throw;
        }
    }
}
