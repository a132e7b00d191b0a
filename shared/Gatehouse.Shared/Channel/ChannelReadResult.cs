namespace Gatehouse.Channel;

/// <summary>Outcome of one <see cref="ConfigChannelReader.Poll"/>.</summary>
/// <param name="RejectReason">Short snake_case reason for metrics (e.g. "crc", "magic"), when rejected.</param>
/// <param name="Detail">Human-readable explanation, when rejected.</param>
public readonly record struct ChannelReadResult(
    ChannelReadStatus Status,
    ChannelBlob? Blob = null,
    string? RejectReason = null,
    string? Detail = null);
