using System.Collections.Immutable;
using System.Globalization;
using Gatehouse.Model;

namespace Gatehouse.Benchmarks;

/// <summary>
/// Deterministic configs of N hosts shaped like a busy multi-tenant cluster: 2-4 routes per host,
/// one backend per host with 2-3 endpoints, every tenth host a wildcard. Sorted as the controller
/// sorts them, so encodings are what a real publish would produce.
/// </summary>
internal static class ConfigGenerator
{
    /// <summary>A path deeper than any route, matching the "/api/v1/users" prefix of every host.</summary>
    public const string DeepPath = "/api/v1/users/12345/orders/67890/items/42";

    public static GatehouseConfig Generate(int hostCount)
    {
        var hosts = new VirtualHostConfig[hostCount];
        var backends = new BackendConfig[hostCount];
        for (var i = 0; i < hostCount; i++)
        {
            var ns = "team-" + (i % 50).ToString(CultureInfo.InvariantCulture);
            var service = "svc-" + i.ToString("D6", CultureInfo.InvariantCulture);
            var backendName = $"{ns}/{service}:http";
            var ingress = $"{ns}/{service}";
            hosts[i] = new VirtualHostConfig { Host = HostName(i), Routes = Routes(i, backendName, ingress) };

            var endpoints = ImmutableArray.CreateBuilder<EndpointConfig>(2 + (i % 2));
            for (var e = 0; e < endpoints.Capacity; e++)
            {
                endpoints.Add(new EndpointConfig($"10.{(i >> 8) & 0xff}.{i & 0xff}.{10 + e}", 8080));
            }

            backends[i] = new BackendConfig
            {
                Name = backendName,
                Namespace = ns,
                Service = service,
                Port = "http",
                Endpoints = endpoints.MoveToImmutable(),
            };
        }

        Array.Sort(hosts, static (a, b) => string.CompareOrdinal(a.Host, b.Host));
        Array.Sort(backends, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new GatehouseConfig { Generation = 1, Hosts = [.. hosts], Backends = [.. backends] };
    }

    /// <summary>Host i: a wildcard "*.tenant-i.example.com" for every tenth i, else "svc-i.team-k.example.com".</summary>
    public static string HostName(int i)
        => i % 10 == 0
            ? $"*.tenant-{i:D6}.example.com"
            : $"svc-{i:D6}.team-{i % 50}.example.com";

    /// <summary>A request host that host i serves (for wildcards, one label in front of the suffix).</summary>
    public static string RequestHost(int i) => i % 10 == 0 ? "shop" + HostName(i)[1..] : HostName(i);

    private static ImmutableArray<RouteConfig> Routes(int i, string backend, string ingress)
    {
        // In match priority order, as the controller emits them: longer paths first, Exact before Prefix.
        var routes = ImmutableArray.CreateBuilder<RouteConfig>(4);
        routes.Add(new RouteConfig { Path = "/api/v1/users", Match = PathMatch.Prefix, Backend = backend, Ingress = ingress });
        if (i % 3 != 0)
        {
            routes.Add(new RouteConfig { Path = "/healthz", Match = PathMatch.Exact, Backend = backend, Ingress = ingress });
        }

        if (i % 3 == 2)
        {
            routes.Add(new RouteConfig { Path = "/api", Match = PathMatch.Prefix, Backend = backend, Ingress = ingress });
        }

        routes.Add(new RouteConfig { Path = "/", Match = PathMatch.Prefix, Backend = backend, Ingress = ingress });
        return routes.ToImmutable();
    }
}
