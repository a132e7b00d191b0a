using Gatehouse.Model;

namespace Gatehouse.Tests.Golden;

/// <summary>
/// The fixed, representative config every golden blob under tests/golden/ was written from. Never
/// change existing values: the byte-for-byte test writes this config as each shipped schema and
/// compares with the committed blobs. A new schema's fields get values here (older goldens are
/// unaffected because writing as an older minor omits them).
/// </summary>
internal static class GoldenConfig
{
    private const string DummyCertificate =
        "-----BEGIN CERTIFICATE-----\nR09MREVOLUNFUlRJRklDQVRFLURVTU1Z\n-----END CERTIFICATE-----\n";

    private const string DummyKey =
        "-----BEGIN PRIVATE KEY-----\nR09MREVOLUtFWS1EVU1NWQ==\n-----END PRIVATE KEY-----\n";

    public static GatehouseConfig Create() => new()
    {
        Generation = 7,
        Hosts =
        [
            new VirtualHostConfig
            {
                Host = "",
                Routes = [new RouteConfig { Path = "/", Match = PathMatch.Prefix, Backend = "default/web:80", Ingress = "default/catch-all" }],
            },
            new VirtualHostConfig
            {
                Host = "*.example.com",
                Certificate = "shop/wildcard-tls",
                Routes = [new RouteConfig { Path = "/", Match = PathMatch.Prefix, Backend = "shop/grpc:grpc", Ingress = "shop/wildcard" }],
            },
            new VirtualHostConfig
            {
                Host = "shop.example.com",
                Certificate = "shop/wildcard-tls",
                Routes =
                [
                    new RouteConfig { Path = "/api/v1/health", Match = PathMatch.Exact, Backend = "shop/api:http", Ingress = "shop/api" },
                    new RouteConfig { Path = "/static", Match = PathMatch.ImplementationSpecific, Backend = "shop/drained:8080", Ingress = "shop/static-ü" },
                    new RouteConfig { Path = "/api", Match = PathMatch.Prefix, Backend = "shop/api:http", Ingress = "shop/api" },
                ],
            },
        ],
        Backends =
        [
            new BackendConfig
            {
                Name = "default/web:80",
                Namespace = "default",
                Service = "web",
                Port = "80",
                Protocol = BackendProtocol.Http,
                Endpoints = [new EndpointConfig("10.0.0.1", 8080), new EndpointConfig("10.0.0.2", 8080)],
            },
            new BackendConfig
            {
                Name = "shop/api:http",
                Namespace = "shop",
                Service = "api",
                Port = "http",
                Protocol = BackendProtocol.Https,
                Endpoints = [new EndpointConfig("2001:db8::ff00:42:8329", 65535), new EndpointConfig("fd00::1", 443)],
            },
            new BackendConfig
            {
                Name = "shop/drained:8080",
                Namespace = "shop",
                Service = "drained",
                Port = "8080",
                Protocol = BackendProtocol.Grpcs,
                Endpoints = [],
            },
            new BackendConfig
            {
                Name = "shop/grpc:grpc",
                Namespace = "shop",
                Service = "grpc",
                Port = "grpc",
                Protocol = BackendProtocol.Grpc,
                Endpoints = [new EndpointConfig("192.168.100.200", 9000)],
            },
        ],
        DefaultBackend = "default/web:80",
        Certificates =
        [
            new CertificateConfig
            {
                Name = "shop/wildcard-tls",
                CertificatePem = DummyCertificate,
                PrivateKeyPem = DummyKey,
                Hosts = ["*.example.com", "shop.example.com"],
            },
        ],

        // Schema 1.1. A literal, not ConfigHash.Compute: the golden bytes must not move if the hash definition does.
        PublishedBy = "gatehouse-controller 1.1.0-golden",
        ConfigHash = "adf4237de521609236ae218d8c2bb3d6256ab2a4d48db5737272aef266316937",
    };
}
