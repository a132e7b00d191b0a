using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Gatehouse.Channel;

/// <summary>
/// Identity (device, inode) and size of a file, by path or by open handle. The reader compares the
/// two to notice that the path now names a different file (replaced, or deleted and recreated)
/// and learns the size before it touches mapped bytes. Uses statx(2) on Linux, whose struct layout
/// is the same on every architecture; elsewhere it degrades to size only.
/// </summary>
internal readonly partial record struct FileStatus(bool Exists, ulong Device, ulong Inode, long Size)
{
    public static FileStatus Missing => default;

    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxIno = 0x100;
    private const uint StatxSize = 0x200;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    private static bool s_statxUnavailable = !OperatingSystem.IsLinux();

    /// <summary>Status of whatever the path names now; <see cref="Exists"/> false if nothing.</summary>
    public static FileStatus OfPath(string path)
    {
        if (!s_statxUnavailable)
        {
            var status = TryStatx(AtFdCwd, path, 0, out var errno);
            if (status is { } found)
            {
                return found;
            }

            if (errno is ENOENT or ENOTDIR)
            {
                return Missing;
            }

            if (!s_statxUnavailable)
            {
                throw new IOException($"statx({path}) failed with errno {errno}.");
            }
        }

        var info = new FileInfo(path);
        return info.Exists ? new FileStatus(true, 0, 0, info.Length) : Missing;
    }

    public static FileStatus OfHandle(SafeFileHandle handle)
    {
        if (!s_statxUnavailable)
        {
            var added = false;
            handle.DangerousAddRef(ref added);
            try
            {
                var status = TryStatx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, out var errno);
                if (status is { } found)
                {
                    return found;
                }

                if (!s_statxUnavailable)
                {
                    throw new IOException($"statx(fd) failed with errno {errno}.");
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        return new FileStatus(true, 0, 0, RandomAccess.GetLength(handle));
    }

    private static unsafe FileStatus? TryStatx(int dirFd, string path, int flags, out int errno)
    {
        // struct statx is 256 bytes: stx_ino at 32, stx_size at 40, stx_dev_major at 136, stx_dev_minor at 140.
        var buffer = stackalloc byte[256];
        int result;
        try
        {
            result = statx(dirFd, path, flags, StatxIno | StatxSize, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            s_statxUnavailable = true;
            errno = 0;
            return null;
        }

        if (result != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        var inode = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return new FileStatus(true, device, inode, size);
    }

    public bool IsSameFile(FileStatus other)
        => Exists && other.Exists && Device == other.Device && Inode == other.Inode;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string pathname, int flags, uint mask, byte* statxbuf);
}
