namespace Gatehouse.Channel;

/// <summary>A snapshot of the channel file's header, for diagnostics (gatehouse-dump).</summary>
/// <param name="ActiveSlot">0 or 1, or -1 when nothing has been published yet.</param>
public sealed record ChannelHeaderInfo(
    string Path,
    long FileLength,
    uint LayoutVersion,
    uint HeaderSize,
    Guid InstanceId,
    ulong HeaderSequence,
    long Generation,
    int ActiveSlot,
    IReadOnlyList<ChannelSlotInfo> Slots);
