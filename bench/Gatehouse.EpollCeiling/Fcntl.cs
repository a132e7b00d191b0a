using System.Runtime.InteropServices;

namespace Gatehouse.EpollCeiling;

internal static partial class Fcntl
{
    private const int F_GETFL = 3, F_SETFL = 4;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlInt(int fd, int command, int argument);

    public static int GetFlags(int fd) => Libc.Check(FcntlInt(fd, F_GETFL, 0), "fcntl(F_GETFL)");

    public static void SetFlags(int fd, int flags) => Libc.Check(FcntlInt(fd, F_SETFL, flags), "fcntl(F_SETFL)");
}
