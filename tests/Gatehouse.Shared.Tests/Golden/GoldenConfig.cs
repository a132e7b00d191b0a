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
                    new RouteConfig
                    {
                        Path = "/static", Match = PathMatch.ImplementationSpecific, Backend = "shop/drained:8080", Ingress = "shop/static-ü",

                        // Schema 1.2.
                        SslRedirect = false,
                        AccessLog = false,
                        BackendTls = new BackendTlsConfig { ClientCertificate = "shop/api-client", TrustedCaPem = DummyCertificate, Verify = true, Name = "drained.shop.svc", SendServerName = true },
                    },
                    new RouteConfig
                    {
                        Path = "/api", Match = PathMatch.Prefix, Backend = "shop/api:http", Ingress = "shop/api",

                        // Schema 1.2.
                        ForceSslRedirect = true,
                        Upstream = new UpstreamPolicyConfig
                        {
                            LoadBalance = LoadBalancingPolicy.Ewma,
                            Affinity = new AffinityConfig { Mode = AffinityMode.Persistent, CookieName = "route", CookiePath = "/api", MaxAgeSeconds = 3600, SameSite = "Lax", Secure = true, CanaryBehavior = AffinityCanaryBehavior.Legacy },
                            ConnectTimeoutMs = 5000,
                            ReadTimeoutMs = 120_000,
                            NextUpstream = NextUpstreamConditions.Error | NextUpstreamConditions.Http503,
                            NextUpstreamTries = 2,
                        },
                        Canaries =
                        [
                            new CanaryConfig
                            {
                                Backend = "shop/grpc:grpc",
                                Ingress = "shop/api-canary",
                                Header = "X-Canary",
                                HeaderValues = ["gray", "beta"],
                                HeaderPattern = "^v2.*",
                                Cookie = "canary",
                                Query = "uid",
                                ModDivisor = 10,
                                ModOperator = CanaryModOperator.LessOrEqual,
                                ModRemainder = 3,
                                Weight = 20,
                                WeightTotal = 1000,
                                RequestAddHeaders = [new HeaderValueConfig("X-Gray", "on")],
                                RequestAppendHeaders = [new HeaderValueConfig("X-Trace", "canary")],
                                RequestAddQuery = "gray=1&from=canary",
                                ResponseAddHeaders = [new HeaderValueConfig("X-Served-By", "canary")],
                                Upstream = new UpstreamPolicyConfig { HashBy = "$cookie_uid$arg_id" },
                            },
                            new CanaryConfig { Backend = "default/web:80", Ingress = "shop/api-weight", Weight = 5, CookieValues = ["A"], QueryValues = ["1", "2"] },
                        ],
                    },
                ],

                // Schema 1.2.
                Certificates = ["shop/wildcard-tls", "shop/wildcard-rsa"],
                Tls = new TlsPolicyConfig
                {
                    Protocols = ["TLSv1.2", "TLSv1.3"],
                    Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
                    ClientAuth = new ClientAuthConfig { CaPem = DummyCertificate, Verify = ClientCertificateVerification.OptionalNoCa, Depth = 2, PassCertificateToUpstream = true, ErrorPage = "https://example.com/denied" },
                },
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

        // Schema 1.2.
        DefaultCertificate = "shop/wildcard-tls",
        AppliedObjects =
        [
            new AppliedObjectConfig { Kind = "Ingress", Name = "shop/api", Revision = "rev-2", Manifest = "{\"kind\":\"Ingress\"}" },
            new AppliedObjectConfig { Kind = "Secret", Name = "shop/wildcard-tls", Revision = "rev-1", Manifest = "{\"kind\":\"Secret\",\"data\":{\"tls.key\":\"R09MREVO\"}}" },
        ],
    };
}
