using System.Collections.Immutable;

namespace Gatehouse.Serialization;

/// <summary>
/// The minor (of the current major) that introduced each key. Writing as an older minor omits every
/// key introduced later, so an older proxy receives exactly the blob its own controller would have
/// written. Keys not listed as constants here are 1.0. docs/channel-payload.md ("Since") mirrors
/// <see cref="All"/>; a test keeps the two in step.
/// </summary>
internal static class ConfigKeyHistory
{
    public const ushort PublishedBy = 1;
    public const ushort ConfigHash = 1;

    /// <summary>Every key as "object.key" (object names as in the docs) with the minor that introduced it.</summary>
    public static ImmutableDictionary<string, ushort> All { get; } = new Dictionary<string, ushort>(StringComparer.Ordinal)
    {
        ["config.schema"] = 0,
        ["config.generation"] = 0,
        ["config.hosts"] = 0,
        ["config.backends"] = 0,
        ["config.default_backend"] = 0,
        ["config.certificates"] = 0,
        ["config.published_by"] = PublishedBy,
        ["config.config_hash"] = ConfigHash,
        ["host.host"] = 0,
        ["host.routes"] = 0,
        ["host.certificate"] = 0,
        ["route.path"] = 0,
        ["route.match"] = 0,
        ["route.backend"] = 0,
        ["route.ingress"] = 0,
        ["backend.name"] = 0,
        ["backend.namespace"] = 0,
        ["backend.service"] = 0,
        ["backend.port"] = 0,
        ["backend.protocol"] = 0,
        ["backend.endpoints"] = 0,
        ["endpoint.address"] = 0,
        ["endpoint.port"] = 0,
        ["certificate.name"] = 0,
        ["certificate.cert_pem"] = 0,
        ["certificate.key_pem"] = 0,
        ["certificate.hosts"] = 0,
    }.ToImmutableDictionary(StringComparer.Ordinal);
}
