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

    /// <summary>Canaries, upstream policies, TLS policies, dual certificates, applied rollout objects.</summary>
    public const ushort Policies = 2;

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
        ["config.default_certificate"] = Policies,
        ["config.applied_objects"] = Policies,
        ["host.certificates"] = Policies,
        ["host.tls"] = Policies,
        ["route.canaries"] = Policies,
        ["route.upstream"] = Policies,
        ["route.ssl_redirect"] = Policies,
        ["route.force_ssl_redirect"] = Policies,
        ["route.access_log"] = Policies,
        ["route.backend_tls"] = Policies,
        ["tls.protocols"] = Policies,
        ["tls.ciphers"] = Policies,
        ["tls.client_auth"] = Policies,
        ["client_auth.ca_pem"] = Policies,
        ["client_auth.verify"] = Policies,
        ["client_auth.depth"] = Policies,
        ["client_auth.pass_certificate_to_upstream"] = Policies,
        ["client_auth.error_page"] = Policies,
        ["canary.backend"] = Policies,
        ["canary.ingress"] = Policies,
        ["canary.header"] = Policies,
        ["canary.header_values"] = Policies,
        ["canary.header_pattern"] = Policies,
        ["canary.cookie"] = Policies,
        ["canary.cookie_values"] = Policies,
        ["canary.query"] = Policies,
        ["canary.query_values"] = Policies,
        ["canary.mod_divisor"] = Policies,
        ["canary.mod_operator"] = Policies,
        ["canary.mod_remainder"] = Policies,
        ["canary.weight"] = Policies,
        ["canary.weight_total"] = Policies,
        ["canary.request_add_headers"] = Policies,
        ["canary.request_append_headers"] = Policies,
        ["canary.request_add_query"] = Policies,
        ["canary.response_add_headers"] = Policies,
        ["canary.response_append_headers"] = Policies,
        ["canary.upstream"] = Policies,
        ["header_value.name"] = Policies,
        ["header_value.value"] = Policies,
        ["upstream.load_balance"] = Policies,
        ["upstream.hash_by"] = Policies,
        ["upstream.affinity"] = Policies,
        ["upstream.connect_timeout_ms"] = Policies,
        ["upstream.send_timeout_ms"] = Policies,
        ["upstream.read_timeout_ms"] = Policies,
        ["upstream.next_upstream"] = Policies,
        ["upstream.next_upstream_tries"] = Policies,
        ["upstream.next_upstream_timeout_ms"] = Policies,
        ["affinity.mode"] = Policies,
        ["affinity.cookie_name"] = Policies,
        ["affinity.cookie_path"] = Policies,
        ["affinity.max_age"] = Policies,
        ["affinity.expires"] = Policies,
        ["affinity.samesite"] = Policies,
        ["affinity.secure"] = Policies,
        ["affinity.domain"] = Policies,
        ["affinity.canary_behavior"] = Policies,
        ["backend_tls.client_certificate"] = Policies,
        ["backend_tls.trusted_ca_pem"] = Policies,
        ["backend_tls.verify"] = Policies,
        ["backend_tls.name"] = Policies,
        ["backend_tls.send_server_name"] = Policies,
        ["applied_object.kind"] = Policies,
        ["applied_object.name"] = Policies,
        ["applied_object.revision"] = Policies,
        ["applied_object.manifest"] = Policies,
    }.ToImmutableDictionary(StringComparer.Ordinal);
}
