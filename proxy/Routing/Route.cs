using Gatehouse.Model;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Policies;
using Gatehouse.Proxy.Routing.Canary;

namespace Gatehouse.Proxy.Routing;

/// <summary>A compiled route: where a matched request goes and why (for logs and diagnostics).</summary>
internal sealed class Route
{
    public Route(string host, RouteConfig? config, Backend backend, Func<string, Backend>? resolveBackend = null)
    {
        Host = host;
        Config = config;
        Ingress = config?.Ingress ?? "";
        AccessLog = config?.AccessLog ?? true;
        Backend = backend;
        HashKey = HashKey.TryCompile(config?.Upstream?.HashBy);
        Upstream = UpstreamPolicy.For(config?.Upstream);
        LoadBalance = config?.Upstream?.LoadBalance ?? LoadBalancingPolicy.RoundRobin;
        Affinity = SessionAffinity.For(config?.Upstream?.Affinity, config?.Path ?? "/");
        if (config is { Canaries.IsEmpty: false } && resolveBackend is not null)
        {
            Canaries = new CanarySelector(config.Canaries, resolveBackend, config.Path);
            CanaryTelemetry = new(ReferenceEqualityComparer.Instance);
        }
    }

    /// <summary>The virtual host this route belongs to ("" for the catch-all or the default backend).</summary>
    public string Host { get; }

    /// <summary>The source route, or null for the default-backend route.</summary>
    public RouteConfig? Config { get; }

    /// <summary>
    /// <see cref="RouteConfig.Ingress"/> ("" for the default backend), copied here with
    /// <see cref="AccessLog"/> because every request's telemetry reads them and the route's own
    /// object is already in cache by then; the config's often is not, with many hosts.
    /// </summary>
    public string Ingress { get; }

    /// <summary>enable-access-log of the route's Ingress; the default-backend route always logs.</summary>
    public bool AccessLog { get; }

    /// <summary>The main backend.</summary>
    public Backend Backend { get; }

    /// <summary>upstream-hash-by of the main Ingress, or null for round robin.</summary>
    public HashKey? HashKey { get; }

    /// <summary>Cookie affinity of the main Ingress, or null.</summary>
    public SessionAffinity? Affinity { get; }

    /// <summary>load-balance of the main Ingress (when upstream-hash-by is not set).</summary>
    public LoadBalancingPolicy LoadBalance { get; }

    /// <summary>Timeouts and retries of the main Ingress; a canary's request uses them too (as in ingress-nginx).</summary>
    public UpstreamPolicy Upstream { get; }

    /// <summary>The route's canaries, or null when it has none.</summary>
    public CanarySelector? Canaries { get; }

    public bool IsDefaultBackend => Config is null;

    /// <summary>
    /// This route's metric series. Attached on the route's first request and then reused, so the
    /// request path records into preallocated cells without a lookup; the one mutable field of a
    /// compiled route, written idempotently (any writer stores the same series).
    /// </summary>
    public RouteTelemetry? Telemetry { get; set; }

    /// <summary>
    /// When <see cref="Telemetry"/> or a canary series is the shared overflow series: the registry's
    /// release count then (<see cref="SeriesRegistry.Releases"/>). A route kept across swaps retries
    /// for a series of its own once series were released, instead of staying on the overflow for ever.
    /// </summary>
    public int TelemetryOverflowedAt { get; set; }

    /// <summary>
    /// Series of requests this route sent to one of its canary backends (canary="true"), keyed by the
    /// backend instance; null for routes without canaries. Filled on first use like <see cref="Telemetry"/>;
    /// reads are lock-free and allocation-free.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Backend, RouteTelemetry>? CanaryTelemetry { get; }

    public override string ToString()
        => Config is null ? $"default -> {Backend.Name}" : $"{Host}{Config.Path} ({Config.Match}) -> {Backend.Name}";
}
