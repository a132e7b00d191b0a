using Gatehouse.Model;

namespace Gatehouse.Channel;

/// <summary>A verified copy of one published payload, detached from the mapped file.</summary>
public sealed record ChannelBlob(
    Guid InstanceId,
    long Generation,
    SchemaVersion Schema,
    DateTimeOffset WrittenAt,
    byte[] Payload);
