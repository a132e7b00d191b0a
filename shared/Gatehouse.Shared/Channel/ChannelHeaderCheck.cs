using System.Buffers.Binary;
using static Gatehouse.Channel.ChannelLayout;

namespace Gatehouse.Channel;

/// <summary>Checks of the header fields that never change during a file's life, shared by writer, reader and dump.</summary>
internal static class ChannelHeaderCheck
{
    /// <summary>
    /// Returns null when the file is long enough and magic, layout version and header size are right;
    /// otherwise the snake_case reason with a human <paramref name="detail"/>.
    /// </summary>
    public static string? CheckFixedFields(ReadOnlySpan<byte> header, long fileLength, out string detail)
    {
        if (fileLength < HeaderRegionSize || header.Length < HeaderSize)
        {
            detail = $"file is {fileLength} bytes, shorter than the {HeaderRegionSize}-byte header region";
            return "truncated";
        }

        var magic = BinaryPrimitives.ReadUInt64LittleEndian(header[MagicOffset..]);
        if (magic != Magic)
        {
            detail = $"magic is 0x{magic:x16}, expected 0x{Magic:x16} (\"GHCFGCHN\")";
            return "magic";
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[LayoutVersionOffset..]);
        if (version != LayoutVersion)
        {
            detail = $"layout version is {version}, this build reads {LayoutVersion}";
            return "layout_version";
        }

        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderSizeOffset..]);
        if (headerSize != HeaderSize)
        {
            detail = $"header size is {headerSize}, layout {LayoutVersion} has {HeaderSize}";
            return "header_size";
        }

        detail = "";
        return null;
    }

    /// <summary>
    /// Null when the slot's payload range lies inside the file, after the header region, within
    /// capacity; otherwise "bounds" with a detail.
    /// </summary>
    public static string? CheckSlotBounds(int slot, long offset, long capacity, long length, long fileLength, out string detail)
    {
        if (offset < HeaderRegionSize || capacity < 0 || length < 0 || length > capacity
            || offset > fileLength || capacity > fileLength - offset)
        {
            detail = $"slot {slot}: offset {offset}, capacity {capacity}, length {length} do not fit a {fileLength}-byte file";
            return "bounds";
        }

        detail = "";
        return null;
    }
}
