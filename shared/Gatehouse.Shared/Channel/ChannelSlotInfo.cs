using Gatehouse.Model;

namespace Gatehouse.Channel;

/// <summary>One slot descriptor as found in the file, for diagnostics (gatehouse-dump).</summary>
/// <param name="CrcOk">True when the payload bytes are inside the file and match <paramref name="Crc"/>.</param>
public sealed record ChannelSlotInfo(
    int Index,
    bool IsActive,
    ulong Sequence,
    long Offset,
    long Capacity,
    long Length,
    long Generation,
    uint Crc,
    bool CrcOk,
    SchemaVersion Schema,
    DateTimeOffset WrittenAt);
