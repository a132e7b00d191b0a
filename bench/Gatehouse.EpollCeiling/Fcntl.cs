using System.Runtime.InteropServices;

namespace Gatehouse.EpollCeiling;

internal static partial class Fcntl
{
    private const int F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Call(int fd, int command, int argument);

    public static void SetNonBlocking(int fd)
    {
        var flags = Gatehouse.Proxy.Transport.Native.Check(Call(fd, F_GETFL, 0), "fcntl(F_GETFL)");
        Gatehouse.Proxy.Transport.Native.Check(Call(fd, F_SETFL, flags | O_NONBLOCK), "fcntl(F_SETFL)");
    }
}
