using Gatehouse.Model;

namespace Gatehouse.Dump.Diff;

/// <summary>
/// What changed from one config to another, by identity: hosts by name, routes by (path, match),
/// backends by name, certificates by name, endpoints by address and port. Order changes alone are
/// not differences (the translator sorts everything). Private keys are never part of it.
/// </summary>
internal sealed record ConfigDiff(
    Change<string?>? Schema,
    Change<string?>? PublishedBy,
    Change<string?>? ConfigHash,
    Change<string?>? DefaultBackend,
    IReadOnlyList<string> HostsAdded,
    IReadOnlyList<string> HostsRemoved,
    IReadOnlyList<HostDiff> HostsChanged,
    IReadOnlyList<string> BackendsAdded,
    IReadOnlyList<string> BackendsRemoved,
    IReadOnlyList<BackendDiff> BackendsChanged,
    IReadOnlyList<string> CertificatesAdded,
    IReadOnlyList<string> CertificatesRemoved,
    IReadOnlyList<CertificateDiff> CertificatesChanged)
{
    /// <summary>True when the routing content differs (schema, publisher and hash changes alone do not count).</summary>
    public bool HasRoutingChanges
        => DefaultBackend is not null
            || HostsAdded.Count + HostsRemoved.Count + HostsChanged.Count > 0
            || BackendsAdded.Count + BackendsRemoved.Count + BackendsChanged.Count > 0
            || CertificatesAdded.Count + CertificatesRemoved.Count + CertificatesChanged.Count > 0;

    public bool IsEmpty => !HasRoutingChanges && Schema is null && PublishedBy is null && ConfigHash is null;
}

internal sealed record Change<T>(T From, T To);

/// <param name="PoliciesChanged">Schema 1.2 host fields that differ ("certificates", "tls"), by JSON name.</param>
internal sealed record HostDiff(
    string Host,
    Change<string?>? Certificate,
    IReadOnlyList<RouteConfig> RoutesAdded,
    IReadOnlyList<RouteConfig> RoutesRemoved,
    IReadOnlyList<RouteChange> RoutesChanged,
    IReadOnlyList<string> PoliciesChanged);

/// <param name="PoliciesChanged">
/// Schema 1.2 route fields that differ ("canaries", "upstream", "sslRedirect", "forceSslRedirect",
/// "accessLog", "backendTls"), by JSON name; the values are in the configs themselves.
/// </param>
internal sealed record RouteChange(string Path, PathMatch Match, Change<string?>? Backend, Change<string?>? Ingress, IReadOnlyList<string> PoliciesChanged);

/// <param name="Fields">Changed scalar fields by JSON name (namespace, service, port, protocol), in that order.</param>
internal sealed record BackendDiff(
    string Name,
    IReadOnlyList<KeyValuePair<string, Change<string?>>> Fields,
    IReadOnlyList<EndpointConfig> EndpointsAdded,
    IReadOnlyList<EndpointConfig> EndpointsRemoved);

internal sealed record CertificateDiff(
    string Name,
    bool CertificatePemChanged,
    IReadOnlyList<string> HostsAdded,
    IReadOnlyList<string> HostsRemoved);
