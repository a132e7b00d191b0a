using System.Buffers.Binary;
using Gatehouse.Channel;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>
/// Damages a channel file the way a disk, an operator or a stray program might, each in one step
/// so a polling reader sees exactly one bad state. Offsets are those of docs/channel.md, layout 1.
/// </summary>
internal static class ChannelFileCorruption
{
    private const int LayoutVersionOffset = 8;
    private const int GenerationOffset = 40;
    private const int SlotDescriptorsOffset = 64;
    private const int SlotDescriptorSize = 64;
    private const int SlotGenerationOffset = 32;

    /// <summary>
    /// Flips a byte in the middle of the active payload and announces it as the next generation
    /// (slot generation first, header generation last), so the reader copies it and finds the CRC wrong.
    /// </summary>
    public static void FlipActivePayloadAsNewGeneration(string path)
    {
        var header = ConfigChannelReader.ReadHeader(path);
        var slot = header.Slots[header.ActiveSlot];
        var middle = slot.Offset + (slot.Length / 2);
        var flipped = new byte[1];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.Read(handle, flipped, middle);
        flipped[0] ^= 0xFF;
        RandomAccess.Write(handle, flipped, middle);

        var next = header.Generation + 1;
        WriteInt64(handle, SlotDescriptorsOffset + (header.ActiveSlot * SlotDescriptorSize) + SlotGenerationOffset, next);
        WriteInt64(handle, GenerationOffset, next);
    }

    public static void Truncate(string path, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.SetLength(handle, length);
    }

    /// <summary>Overwrites the whole file in place (same inode, same size), in one write.</summary>
    public static void Overwrite(string path, Func<long, byte[]> content)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.Write(handle, content(RandomAccess.GetLength(handle)), 0);
    }

    public static void WriteMagic(string path, string magic)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.Write(handle, System.Text.Encoding.ASCII.GetBytes(magic), 0);
    }

    public static void WriteLayoutVersion(string path, uint version)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, version);
        RandomAccess.Write(handle, bytes, LayoutVersionOffset);
    }

    private static void WriteInt64(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        RandomAccess.Write(handle, bytes, offset);
    }
}
