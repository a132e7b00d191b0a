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
}
