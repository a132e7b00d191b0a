using Gatehouse.Channel;

namespace Gatehouse.Dump;

/// <summary>
/// Reads one slot's payload as the header snapshot describes it, for --diff (the channel reader only
/// hands out the active slot). The CRC is checked because the writer may be refilling the inactive
/// slot while we read it.
/// </summary>
internal static class SlotReader
{
    /// <returns>The payload, or null with a reason when the slot holds no complete, CRC-valid blob.</returns>
    public static byte[]? TryRead(string path, ChannelSlotInfo slot, long fileLength, out string? problem)
    {
        if (slot.Length == 0 || slot.Generation <= 0)
        {
            problem = $"slot {slot.Index} holds no blob yet";
            return null;
        }

        if (slot.Sequence % 2 == 1)
        {
            problem = $"slot {slot.Index} is being written";
            return null;
        }

        if (slot.Offset < 4096 || slot.Length > slot.Capacity || slot.Offset + slot.Capacity > fileLength || slot.Length > Array.MaxLength)
        {
            problem = $"slot {slot.Index} descriptor is out of bounds";
            return null;
        }

        var payload = new byte[slot.Length];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.Position = slot.Offset;
            stream.ReadExactly(payload);
        }

        if (Crc32C.Compute(payload) != slot.Crc)
        {
            problem = $"slot {slot.Index} does not match its CRC (being rewritten, or corrupt)";
            return null;
        }

        problem = null;
        return payload;
    }
}
