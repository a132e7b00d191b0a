using System.Collections.Immutable;

namespace Gatehouse.Model;

/// <summary>
/// Everything the proxy needs to route traffic, as one immutable value. The controller builds it,
/// the channel carries it as MessagePack, the proxy compiles it into a route table.
/// Collections are sorted by the translator so equal configs serialize to equal bytes.
/// </summary>
public sealed record GatehouseConfig
{
    public static GatehouseConfig Empty { get; } = new();

    public SchemaVersion Schema { get; init; } = SchemaVersion.Current;

    /// <summary>The channel generation this config was published as (0 until published).</summary>
    public long Generation { get; init; }

    /// <summary>Virtual hosts, sorted by <see cref="VirtualHostConfig.Host"/> (ordinal).</summary>
    public ImmutableArray<VirtualHostConfig> Hosts { get; init; } = [];

    /// <summary>Backends referenced by routes, sorted by <see cref="BackendConfig.Name"/> (ordinal).</summary>
    public ImmutableArray<BackendConfig> Backends { get; init; } = [];

    /// <summary>Backend used when no host/path matches (spec.defaultBackend); null means 404.</summary>
    public string? DefaultBackend { get; init; }

    /// <summary>TLS certificates by name; filled by the TLS feature.</summary>
    public ImmutableArray<CertificateConfig> Certificates { get; init; } = [];

    /// <summary>
    /// Who published this config, e.g. "gatehouse-controller 1.4.0" (schema 1.1). Lets an operator
    /// looking at a proxy or a dump tell which controller build wrote it during a rolling upgrade.
    /// </summary>
    public string? PublishedBy { get; init; }

    /// <summary>
    /// Lower-case hex SHA-256 identifying the routing content (schema 1.1; see
    /// <see cref="Serialization.ConfigHash"/>). Equal content gives an equal hash whatever the
    /// generation, so it can back a config_hash metric as ingress-nginx exposes one.
    /// </summary>
    public string? ConfigHash { get; init; }

    /// <summary>
    /// Name of the certificate served to clients without SNI or with a name no host covers
    /// (--default-ssl-certificate, or the proxy's self-signed one when null). Schema 1.2.
    /// </summary>
    public string? DefaultCertificate { get; init; }

    /// <summary>Revisions of rollout-gated objects this pod applied, sorted by kind then name (schema 1.2; proxy ignores it).</summary>
    public ImmutableArray<AppliedObjectConfig> AppliedObjects { get; init; } = [];
}
