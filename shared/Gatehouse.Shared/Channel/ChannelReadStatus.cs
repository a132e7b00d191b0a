namespace Gatehouse.Channel;

public enum ChannelReadStatus
{
    /// <summary>Nothing newer than what was last returned.</summary>
    NoChange,

    /// <summary>A complete, CRC-verified blob newer than the last one returned.</summary>
    NewBlob,

    /// <summary>The file does not exist (yet).</summary>
    FileMissing,

    /// <summary>The file or the active slot is unreadable; reported once per bad generation.</summary>
    Rejected,
}
