using System.Buffers.Binary;

namespace Gatehouse.Tests.Channel;

/// <summary>Raw byte access to a channel file, for simulating corruption and crashed writers.</summary>
internal static class ChannelFile
{
    public static byte[] ReadBytes(string path, long offset, int count)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[count];
        RandomAccess.Read(stream.SafeFileHandle, buffer, offset);
        return buffer;
    }

    public static void WriteBytes(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.Write(stream.SafeFileHandle, bytes, offset);
    }

    public static long ReadInt64(string path, long offset) => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(path, offset, 8));

    public static void WriteInt64(string path, long offset, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        WriteBytes(path, offset, bytes);
    }

    public static void WriteUInt32(string path, long offset, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        WriteBytes(path, offset, bytes);
    }

    public static void SetLength(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
    }
}
