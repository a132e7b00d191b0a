namespace Gatehouse.Serialization;

/// <summary>
/// Map keys of the config payload as UTF-8 literals: the writer emits them as-is and the reader
/// compares against them without decoding keys into strings. docs/channel-payload.md is the contract.
/// </summary>
internal static class ConfigKeys
{
    // GatehouseConfig
    public static ReadOnlySpan<byte> Schema => "schema"u8;
    public static ReadOnlySpan<byte> Generation => "generation"u8;
    public static ReadOnlySpan<byte> Hosts => "hosts"u8;
    public static ReadOnlySpan<byte> Backends => "backends"u8;
    public static ReadOnlySpan<byte> DefaultBackend => "default_backend"u8;
    public static ReadOnlySpan<byte> Certificates => "certificates"u8;
    public static ReadOnlySpan<byte> PublishedBy => "published_by"u8;
    public static ReadOnlySpan<byte> ConfigHash => "config_hash"u8;

    // VirtualHostConfig
    public static ReadOnlySpan<byte> Host => "host"u8;
    public static ReadOnlySpan<byte> Routes => "routes"u8;
    public static ReadOnlySpan<byte> Certificate => "certificate"u8;

    // RouteConfig
    public static ReadOnlySpan<byte> Path => "path"u8;
    public static ReadOnlySpan<byte> Match => "match"u8;
    public static ReadOnlySpan<byte> Backend => "backend"u8;
    public static ReadOnlySpan<byte> Ingress => "ingress"u8;

    // BackendConfig (and "port" for EndpointConfig)
    public static ReadOnlySpan<byte> Name => "name"u8;
    public static ReadOnlySpan<byte> Namespace => "namespace"u8;
    public static ReadOnlySpan<byte> Service => "service"u8;
    public static ReadOnlySpan<byte> Port => "port"u8;
    public static ReadOnlySpan<byte> Protocol => "protocol"u8;
    public static ReadOnlySpan<byte> Endpoints => "endpoints"u8;

    // EndpointConfig
    public static ReadOnlySpan<byte> Address => "address"u8;

    // CertificateConfig ("name" and "hosts" shared with the above)
    public static ReadOnlySpan<byte> CertPem => "cert_pem"u8;
    public static ReadOnlySpan<byte> KeyPem => "key_pem"u8;

    // Schema 1.2: GatehouseConfig
    public static ReadOnlySpan<byte> DefaultCertificate => "default_certificate"u8;
    public static ReadOnlySpan<byte> AppliedObjects => "applied_objects"u8;

    // Schema 1.2: VirtualHostConfig ("certificates" shared with the config) and TlsPolicyConfig
    public static ReadOnlySpan<byte> Tls => "tls"u8;
    public static ReadOnlySpan<byte> Protocols => "protocols"u8;
    public static ReadOnlySpan<byte> Ciphers => "ciphers"u8;
    public static ReadOnlySpan<byte> ClientAuth => "client_auth"u8;

    // Schema 1.2: ClientAuthConfig ("verify" shared with BackendTlsConfig)
    public static ReadOnlySpan<byte> CaPem => "ca_pem"u8;
    public static ReadOnlySpan<byte> Verify => "verify"u8;
    public static ReadOnlySpan<byte> Depth => "depth"u8;
    public static ReadOnlySpan<byte> PassCertificateToUpstream => "pass_certificate_to_upstream"u8;
    public static ReadOnlySpan<byte> ErrorPage => "error_page"u8;

    // Schema 1.2: RouteConfig
    public static ReadOnlySpan<byte> Canaries => "canaries"u8;
    public static ReadOnlySpan<byte> Upstream => "upstream"u8;
    public static ReadOnlySpan<byte> SslRedirect => "ssl_redirect"u8;
    public static ReadOnlySpan<byte> ForceSslRedirect => "force_ssl_redirect"u8;
    public static ReadOnlySpan<byte> AccessLog => "access_log"u8;
    public static ReadOnlySpan<byte> BackendTls => "backend_tls"u8;

    // Schema 1.2: CanaryConfig ("backend", "ingress", "upstream" shared with the route)
    public static ReadOnlySpan<byte> Header => "header"u8;
    public static ReadOnlySpan<byte> HeaderValues => "header_values"u8;
    public static ReadOnlySpan<byte> HeaderPattern => "header_pattern"u8;
    public static ReadOnlySpan<byte> Cookie => "cookie"u8;
    public static ReadOnlySpan<byte> CookieValues => "cookie_values"u8;
    public static ReadOnlySpan<byte> Query => "query"u8;
    public static ReadOnlySpan<byte> QueryValues => "query_values"u8;
    public static ReadOnlySpan<byte> ModDivisor => "mod_divisor"u8;
    public static ReadOnlySpan<byte> ModOperator => "mod_operator"u8;
    public static ReadOnlySpan<byte> ModRemainder => "mod_remainder"u8;
    public static ReadOnlySpan<byte> Weight => "weight"u8;
    public static ReadOnlySpan<byte> WeightTotal => "weight_total"u8;
    public static ReadOnlySpan<byte> RequestAddHeaders => "request_add_headers"u8;
    public static ReadOnlySpan<byte> RequestAppendHeaders => "request_append_headers"u8;
    public static ReadOnlySpan<byte> RequestAddQuery => "request_add_query"u8;
    public static ReadOnlySpan<byte> ResponseAddHeaders => "response_add_headers"u8;
    public static ReadOnlySpan<byte> ResponseAppendHeaders => "response_append_headers"u8;

    // Schema 1.2: HeaderValueConfig ("name" shared)
    public static ReadOnlySpan<byte> Value => "value"u8;

    // Schema 1.2: UpstreamPolicyConfig
    public static ReadOnlySpan<byte> LoadBalance => "load_balance"u8;
    public static ReadOnlySpan<byte> HashBy => "hash_by"u8;
    public static ReadOnlySpan<byte> Affinity => "affinity"u8;
    public static ReadOnlySpan<byte> ConnectTimeoutMs => "connect_timeout_ms"u8;
    public static ReadOnlySpan<byte> SendTimeoutMs => "send_timeout_ms"u8;
    public static ReadOnlySpan<byte> ReadTimeoutMs => "read_timeout_ms"u8;
    public static ReadOnlySpan<byte> NextUpstream => "next_upstream"u8;
    public static ReadOnlySpan<byte> NextUpstreamTries => "next_upstream_tries"u8;
    public static ReadOnlySpan<byte> NextUpstreamTimeoutMs => "next_upstream_timeout_ms"u8;

    // Schema 1.2: AffinityConfig
    public static ReadOnlySpan<byte> Mode => "mode"u8;
    public static ReadOnlySpan<byte> CookieName => "cookie_name"u8;
    public static ReadOnlySpan<byte> CookiePath => "cookie_path"u8;
    public static ReadOnlySpan<byte> MaxAge => "max_age"u8;
    public static ReadOnlySpan<byte> Expires => "expires"u8;
    public static ReadOnlySpan<byte> SameSite => "samesite"u8;
    public static ReadOnlySpan<byte> Secure => "secure"u8;
    public static ReadOnlySpan<byte> Domain => "domain"u8;
    public static ReadOnlySpan<byte> CanaryBehavior => "canary_behavior"u8;

    // Schema 1.2: BackendTlsConfig ("verify", "name" shared)
    public static ReadOnlySpan<byte> ClientCertificate => "client_certificate"u8;
    public static ReadOnlySpan<byte> TrustedCaPem => "trusted_ca_pem"u8;
    public static ReadOnlySpan<byte> SendServerName => "send_server_name"u8;

    // Schema 1.2: AppliedObjectConfig ("name" shared)
    public static ReadOnlySpan<byte> Kind => "kind"u8;
    public static ReadOnlySpan<byte> Revision => "revision"u8;
    public static ReadOnlySpan<byte> Manifest => "manifest"u8;
}
