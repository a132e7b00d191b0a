using System.Collections.Immutable;
using Gatehouse.Model;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>Terse builders for test configs.</summary>
internal static class Configs
{
    public static RouteConfig Prefix(string path, string backend) => new() { Path = path, Match = PathMatch.Prefix, Backend = backend };

    public static RouteConfig Exact(string path, string backend) => new() { Path = path, Match = PathMatch.Exact, Backend = backend };

    public static VirtualHostConfig Host(string host, params RouteConfig[] routes) => new() { Host = host, Routes = [.. routes] };

    public static BackendConfig Backend(string name, params EndpointConfig[] endpoints)
        => new() { Name = name, Endpoints = [.. endpoints] };

    /// <summary>A config where every request (catch-all host, prefix "/") goes to one backend.</summary>
    public static GatehouseConfig CatchAll(BackendConfig backend, long generation = 1) => new()
    {
        Generation = generation,
        Hosts = [Host("", Prefix("/", backend.Name))],
        Backends = [backend],
    };

    public static GatehouseConfig Of(IEnumerable<VirtualHostConfig> hosts, IEnumerable<BackendConfig> backends, string? defaultBackend = null, long generation = 1) => new()
    {
        Generation = generation,
        Hosts = hosts.ToImmutableArray(),
        Backends = backends.ToImmutableArray(),
        DefaultBackend = defaultBackend,
    };
}
