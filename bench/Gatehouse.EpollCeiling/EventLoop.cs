using System.Runtime.InteropServices;
using Gatehouse.Proxy.Transport;
using static Gatehouse.Proxy.Transport.Native;

namespace Gatehouse.EpollCeiling;

internal sealed unsafe class EventLoop(int port, int backendPort)
{
    private const int BufferSize = 64 * 1024;
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> Forwarded => "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\n\r\n"u8;
    private static ReadOnlySpan<byte> BadGateway => "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8;

    private readonly Stack<Upstream> _idle = new();
    private readonly Stack<Client> _freeClients = new();
    private object?[] _byFd = new object?[1024];
    private int _epoll;
    private int _listener;

    public void Run()
    {
        _epoll = Check(epoll_create1(0), "epoll_create1");
        _listener = Check(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
        var one = 1;
        Check(setsockopt(_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)), "setsockopt");
        var address = stackalloc byte[NativeSocketAddress.MaxLength];
        var length = NativeSocketAddress.Write(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), address);
        Check(bind(_listener, address, length), "bind");
        Check(listen(_listener, 4096), "listen");
        Watch(_listener, EPOLLIN, EPOLL_CTL_ADD);

        const int MaxEvents = 256;
        var events = NativeMemory.Alloc(MaxEvents, (nuint)EpollEventSize);
        while (true)
        {
            var n = epoll_wait(_epoll, events, MaxEvents, -1);
            if (n < 0)
            {
                if (LastError == EINTR)
                {
                    continue;
                }

                Check(n, "epoll_wait");
            }

            for (var i = 0; i < n; i++)
            {
                ReadEvent(events, i, out _, out var data);
                var fd = (int)data;
                if (fd == _listener)
                {
                    AcceptAll();
                }
                else if (_byFd[fd] is Client client)
                {
                    OnClientReadable(client);
                }
                else if (_byFd[fd] is Upstream upstream)
                {
                    OnUpstreamReadable(upstream);
                }
            }
        }
    }

    private void Watch(int fd, uint events, int op)
    {
        Check(epoll_ctl(_epoll, op, fd, events, (ulong)fd), "epoll_ctl");
    }

    private void Track(int fd, object? owner)
    {
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(fd + 1, _byFd.Length * 2));
        }

        _byFd[fd] = owner;
    }

    private void AcceptAll()
    {
        while (true)
        {
            var fd = accept4(_listener, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
            {
                return;
            }

            var one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
            var client = _freeClients.Count > 0 ? _freeClients.Pop() : new Client();
            client.Fd = fd;
            client.Length = 0;
            client.CloseAfterResponse = false;
            Track(fd, client);
            Watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
        }
    }

    private void OnClientReadable(Client client)
    {
        nint read;
        fixed (byte* buffer = client.Buffer)
        {
            read = recv(client.Fd, buffer + client.Length, (nuint)(BufferSize - client.Length), 0);
        }

        if (read <= 0)
        {
            if (read < 0 && Marshal.GetLastPInvokeError() == EAGAIN)
            {
                return;
            }

            CloseClient(client);
            return;
        }

        client.Length += (int)read;
        if (client.Upstream is null)
        {
            TryForwardRequest(client);
        }
    }

    private void TryForwardRequest(Client client)
    {
        var input = client.Buffer.AsSpan(0, client.Length);
        var end = input.IndexOf(HeadEnd);
        if (end < 0)
        {
            if (client.Length == BufferSize)
            {
                CloseClient(client);
            }

            return;
        }

        var upstream = RentUpstream();
        var output = upstream.Buffer.AsSpan();
        var written = 0;
        var head = input[..(end + 2)];
        var lineEnd = head.IndexOf("\r\n"u8);
        head[..(lineEnd + 2)].CopyTo(output);
        written += lineEnd + 2;
        head = head[(lineEnd + 2)..];
        while (!head.IsEmpty)
        {
            lineEnd = head.IndexOf("\r\n"u8);
            var line = head[..(lineEnd + 2)];
            head = head[(lineEnd + 2)..];
            if (line.StartsWith("Connection:"u8) || line.StartsWith("connection:"u8))
            {
                if (line.IndexOf("close"u8) >= 0)
                {
                    client.CloseAfterResponse = true;
                }

                continue;
            }

            line.CopyTo(output[written..]);
            written += line.Length;
        }

        Forwarded.CopyTo(output[written..]);
        written += Forwarded.Length;
        var consumed = end + 4;
        input[consumed..].CopyTo(client.Buffer);
        client.Length -= consumed;

        client.Upstream = upstream;
        upstream.Client = client;
        upstream.Length = 0;
        fixed (byte* buffer = upstream.Buffer)
        {
            if (!SendAll(upstream.Fd, buffer, written))
            {
                DropUpstream(upstream);
                Answer(client, BadGateway);
                CloseClient(client);
            }
        }
    }

    private Upstream RentUpstream()
    {
        if (_idle.Count > 0)
        {
            return _idle.Pop();
        }

        // A blocking socket: loopback connects complete at once, which keeps the reference loop short.
        var fd = Check(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
        var address = stackalloc byte[NativeSocketAddress.MaxLength];
        var length = NativeSocketAddress.Write(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, backendPort), address);
        Check(connect(fd, address, length), "connect");
        Fcntl.SetNonBlocking(fd);
        var one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
        var upstream = new Upstream { Fd = fd };
        Track(fd, upstream);
        Watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
        return upstream;
    }

    private void OnUpstreamReadable(Upstream upstream)
    {
        nint read;
        fixed (byte* buffer = upstream.Buffer)
        {
            read = recv(upstream.Fd, buffer + upstream.Length, (nuint)(BufferSize - upstream.Length), 0);
        }

        if (read <= 0)
        {
            if (read < 0 && Marshal.GetLastPInvokeError() == EAGAIN)
            {
                return;
            }

            var client = upstream.Client;
            DropUpstream(upstream);
            if (client is not null)
            {
                Answer(client, BadGateway);
                CloseClient(client);
            }

            return;
        }

        upstream.Length += (int)read;
        if (upstream.Client is null)
        {
            // Bytes nobody asked for: the connection is no longer in a known state.
            DropUpstream(upstream);
            return;
        }

        var response = upstream.Buffer.AsSpan(0, upstream.Length);
        var end = response.IndexOf(HeadEnd);
        if (end < 0)
        {
            return;
        }

        var total = end + 4 + ContentLength(response[..end]);
        if (upstream.Length < total)
        {
            return;
        }

        var owner = upstream.Client;
        owner.Upstream = null;
        upstream.Client = null;
        if (upstream.Length == total)
        {
            _idle.Push(upstream);
        }

        fixed (byte* buffer = upstream.Buffer)
        {
            if (!SendAll(owner.Fd, buffer, total))
            {
                CloseClient(owner);
                return;
            }
        }

        if (upstream.Length != total)
        {
            DropUpstream(upstream);
        }

        if (owner.CloseAfterResponse)
        {
            CloseClient(owner);
        }
        else if (owner.Length > 0)
        {
            TryForwardRequest(owner);
        }
    }

    private static int ContentLength(ReadOnlySpan<byte> head)
    {
        var at = head.IndexOf("\r\nContent-Length:"u8);
        if (at < 0)
        {
            at = head.IndexOf("\r\ncontent-length:"u8);
        }

        if (at < 0)
        {
            return 0;
        }

        var value = head[(at + 17)..];
        var length = 0;
        var i = 0;
        while (i < value.Length && value[i] == ' ')
        {
            i++;
        }

        for (; i < value.Length && value[i] >= '0' && value[i] <= '9'; i++)
        {
            length = (length * 10) + (value[i] - '0');
        }

        return length;
    }

    private static bool SendAll(int fd, byte* buffer, int length)
    {
        while (length > 0)
        {
            var sent = send(fd, buffer, (nuint)length, MSG_NOSIGNAL);
            if (sent < 0)
            {
                if (Marshal.GetLastPInvokeError() == EAGAIN)
                {
                    // The reference loop does not queue output: a full socket buffer is waited out.
                    Blocked++;
                    Thread.Yield();
                    continue;
                }

                return false;
            }

            buffer += sent;
            length -= (int)sent;
        }

        return true;
    }

    public static long Blocked;

    private static void Answer(Client client, ReadOnlySpan<byte> response)
    {
        fixed (byte* buffer = response)
        {
            SendAll(client.Fd, buffer, response.Length);
        }
    }

    private void CloseClient(Client client)
    {
        if (client.Fd < 0)
        {
            return;
        }

        if (client.Upstream is { } upstream)
        {
            DropUpstream(upstream);
            client.Upstream = null;
        }

        Track(client.Fd, null);
        close(client.Fd);
        client.Fd = -1;
        _freeClients.Push(client);
    }

    private void DropUpstream(Upstream upstream)
    {
        if (upstream.Client is { } client)
        {
            client.Upstream = null;
            upstream.Client = null;
        }

        if (upstream.Fd >= 0)
        {
            Track(upstream.Fd, null);
            close(upstream.Fd);
            upstream.Fd = -1;
        }
    }

    private sealed class Client
    {
        public int Fd;
        public int Length;
        public bool CloseAfterResponse;
        public Upstream? Upstream;
        public readonly byte[] Buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    }

    private sealed class Upstream
    {
        public int Fd;
        public int Length;
        public Client? Client;
        public readonly byte[] Buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    }
}
