using Gatehouse.Model;

namespace Gatehouse.Proxy.Routing;

/// <summary>Where a route table came from; shown by the admin /config endpoint and in logs.</summary>
internal sealed record RouteTableInfo(
    long Generation,
    Guid InstanceId,
    SchemaVersion Schema,
    DateTimeOffset WrittenAt,
    DateTimeOffset LoadedAt);
