using System.Collections.Immutable;
using Gatehouse.Model;

namespace Gatehouse.Tests.Serialization;

/// <summary>Config fixtures built fresh on every call, so equality tests never share instances.</summary>
internal static class TestConfigs
{
    public static GatehouseConfig Small() => new()
    {
        Generation = 42,
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
                Routes =
                [
                    new RouteConfig { Path = "/api/v1/exact", Match = PathMatch.Exact, Backend = "shop/api:http", Ingress = "shop/api" },
                    new RouteConfig { Path = "/api", Match = PathMatch.ImplementationSpecific, Backend = "shop/api:http", Ingress = "shop/api" },
                ],
                Certificate = "shop/wildcard-tls",
            },
            new VirtualHostConfig
            {
                Host = "grpc.example.com",
                Routes = [new RouteConfig { Path = "/", Backend = "shop/grpc:9000", Ingress = "shop/grpc-ñ" }],
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
                Endpoints = [new EndpointConfig("fd00::1", 443), new EndpointConfig("2001:db8::ff00:42:8329", 65535)],
            },
            new BackendConfig
            {
                Name = "shop/grpc:9000",
                Namespace = "shop",
                Service = "grpc",
                Port = "9000",
                Protocol = BackendProtocol.Grpcs,
                Endpoints = [],
            },
            new BackendConfig { Name = "shop/plain-grpc:1", Protocol = BackendProtocol.Grpc },
        ],
        DefaultBackend = "default/web:80",
        Certificates =
        [
            new CertificateConfig
            {
                Name = "shop/wildcard-tls",
                CertificatePem = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n",
                PrivateKeyPem = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n",
                Hosts = ["*.example.com", "example.com"],
            },
        ],
    };

    /// <summary>A deterministic config with <paramref name="hostCount"/> hosts and a backend per ten hosts.</summary>
    public static GatehouseConfig Large(int hostCount)
    {
        var hosts = ImmutableArray.CreateBuilder<VirtualHostConfig>(hostCount);
        for (var i = 0; i < hostCount; i++)
        {
            var backend = $"ns{i / 10 % 100}/svc{i / 10}:80";
            hosts.Add(new VirtualHostConfig
            {
                Host = $"host{i:D6}.example.com",
                Routes =
                [
                    new RouteConfig { Path = $"/app/{i}", Match = PathMatch.Exact, Backend = backend, Ingress = $"ns{i % 100}/ing{i}" },
                    new RouteConfig { Path = "/", Backend = backend, Ingress = $"ns{i % 100}/ing{i}" },
                ],
                Certificate = i % 3 == 0 ? $"ns{i % 100}/tls{i}" : null,
            });
        }

        var backendCount = (hostCount + 9) / 10;
        var backends = ImmutableArray.CreateBuilder<BackendConfig>(backendCount);
        for (var b = 0; b < backendCount; b++)
        {
            backends.Add(new BackendConfig
            {
                Name = $"ns{b % 100}/svc{b}:80",
                Namespace = $"ns{b % 100}",
                Service = $"svc{b}",
                Port = "80",
                Protocol = (BackendProtocol)(b % 4),
                Endpoints = [new EndpointConfig($"10.{b / 65536 % 256}.{b / 256 % 256}.{b % 256}", 8080), new EndpointConfig($"fd00::{b:x}", 8443)],
            });
        }

        return new GatehouseConfig
        {
            Generation = long.MaxValue - hostCount,
            Hosts = hosts.MoveToImmutable(),
            Backends = backends.MoveToImmutable(),
            DefaultBackend = null,
        };
    }
}
