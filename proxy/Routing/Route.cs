using Gatehouse.Model;

namespace Gatehouse.Proxy.Routing;

/// <summary>A compiled route: where a matched request goes and why (for logs and diagnostics).</summary>
internal sealed class Route
{
    public Route(string host, RouteConfig? config, Backend backend)
    {
        Host = host;
        Config = config;
        Backend = backend;
    }

    /// <summary>The virtual host this route belongs to ("" for the catch-all or the default backend).</summary>
    public string Host { get; }

    /// <summary>The source route, or null for the default-backend route.</summary>
    public RouteConfig? Config { get; }

    public Backend Backend { get; }

    public bool IsDefaultBackend => Config is null;

    public override string ToString()
        => Config is null ? $"default -> {Backend.Name}" : $"{Host}{Config.Path} ({Config.Match}) -> {Backend.Name}";
}
