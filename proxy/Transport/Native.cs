using System.Runtime.InteropServices;

namespace Gatehouse.Proxy.Transport;

/// <summary>An <c>epoll_event</c> as the kernel lays it out on x86-64: packed, 12 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}

/// <summary>An <c>epoll_event</c> on every other architecture (arm64 among them): naturally aligned, 16 bytes.</summary>
internal struct AlignedEpollEvent
{
    public uint Events;
    public ulong Data;
}

/// <summary>An <c>iovec</c>: one buffer of a gathered write.</summary>
internal unsafe struct IoVector
{
    public byte* Base;
    public nuint Length;
}

/// <summary>A <c>msghdr</c> for <c>sendmsg</c>: only the gather list is used.</summary>
internal unsafe struct MessageHeader
{
    public void* Name;
    public uint NameLength;
    public IoVector* Vectors;
    public nuint VectorCount;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>The libc calls the event loop transport makes, with their Linux constants.</summary>
internal static unsafe partial class Native
{
    public const int AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, SO_REUSEPORT = 15;
    public const int IPPROTO_TCP = 6, TCP_NODELAY = 1, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    public const uint EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000, EPOLLET = 1u << 31;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    public const int EPOLL_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNRESET = 104, EPIPE = 32, EMFILE = 24, ENFILE = 23, ECONNABORTED = 103;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1, SHUT_RDWR = 2;

    [LibraryImport("libc", SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport("libc", SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, int* value, uint length);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, int* value, uint* length);
    [LibraryImport("libc", SetLastError = true)] public static partial int bind(int fd, byte* address, uint length);
    [LibraryImport("libc", SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport("libc", SetLastError = true)] public static partial int accept4(int fd, byte* address, uint* length, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int connect(int fd, byte* address, uint length);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockname(int fd, byte* address, uint* length);
    [LibraryImport("libc", SetLastError = true)] public static partial nint recv(int fd, byte* buffer, nuint length, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial nint send(int fd, byte* buffer, nuint length, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial nint sendmsg(int fd, MessageHeader* message, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int shutdown(int fd, int how);
    [LibraryImport("libc", SetLastError = true)] public static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial int epoll_ctl(int epfd, int op, int fd, void* ev);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_wait(int epfd, void* events, int max, int timeout);
    [LibraryImport("libc", SetLastError = true)] public static partial int eventfd(uint initial, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial nint write(int fd, byte* buffer, nuint length);
    [LibraryImport("libc", SetLastError = true)] public static partial nint read(int fd, byte* buffer, nuint length);

    /// <summary>x86-64 packs <c>epoll_event</c>; other architectures align its 64-bit data field.</summary>
    public static readonly bool PackedEpollEvent = RuntimeInformation.ProcessArchitecture is Architecture.X64;

    public static int EpollEventSize => PackedEpollEvent ? sizeof(EpollEvent) : sizeof(AlignedEpollEvent);

    public static int epoll_ctl(int epfd, int op, int fd, uint events, ulong data)
    {
        if (PackedEpollEvent)
        {
            var packed = new EpollEvent { Events = events, Data = data };
            return epoll_ctl(epfd, op, fd, &packed);
        }

        var aligned = new AlignedEpollEvent { Events = events, Data = data };
        return epoll_ctl(epfd, op, fd, &aligned);
    }

    /// <summary>The i-th event of a buffer filled by <see cref="epoll_wait"/>.</summary>
    public static void ReadEvent(void* events, int i, out uint mask, out ulong data)
    {
        if (PackedEpollEvent)
        {
            var e = ((EpollEvent*)events)[i];
            (mask, data) = (e.Events, e.Data);
        }
        else
        {
            var e = ((AlignedEpollEvent*)events)[i];
            (mask, data) = (e.Events, e.Data);
        }
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static int Check(int result, string call) =>
        result >= 0 ? result : throw new System.Net.Sockets.SocketException(ErrnoToSocketError(LastError), $"{call} failed: {Marshal.GetPInvokeErrorMessage(LastError)}");

    /// <summary>errno → the SocketError .NET code above us expects (connection refused, reset, ...).</summary>
    public static int ErrnoToSocketError(int errno) => errno switch
    {
        111 => (int)System.Net.Sockets.SocketError.ConnectionRefused,
        104 => (int)System.Net.Sockets.SocketError.ConnectionReset,
        32 => (int)System.Net.Sockets.SocketError.Shutdown,
        98 => (int)System.Net.Sockets.SocketError.AddressAlreadyInUse,
        99 => (int)System.Net.Sockets.SocketError.AddressNotAvailable,
        110 => (int)System.Net.Sockets.SocketError.TimedOut,
        113 => (int)System.Net.Sockets.SocketError.HostUnreachable,
        101 => (int)System.Net.Sockets.SocketError.NetworkUnreachable,
        103 => (int)System.Net.Sockets.SocketError.ConnectionAborted,
        13 => (int)System.Net.Sockets.SocketError.AccessDenied,
        24 or 23 => (int)System.Net.Sockets.SocketError.TooManyOpenSockets,
        _ => (int)System.Net.Sockets.SocketError.SocketError,
    };
}
