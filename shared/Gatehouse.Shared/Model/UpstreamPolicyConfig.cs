namespace Gatehouse.Model;

/// <summary>
/// How a route picks and talks to its backend's endpoints. Zero durations mean "the proxy's default"
/// (its --upstream-timeout and built-in values), so a config without policies stays small.
/// </summary>
public sealed record UpstreamPolicyConfig
{
    /// <summary>load-balance.</summary>
    public LoadBalancingPolicy LoadBalance { get; init; } = LoadBalancingPolicy.RoundRobin;

    /// <summary>upstream-hash-by, e.g. "$request_uri" or "$host$arg_id"; when set, consistent hashing replaces <see cref="LoadBalance"/>.</summary>
    public string? HashBy { get; init; }

    /// <summary>affinity: cookie, or null for none.</summary>
    public AffinityConfig? Affinity { get; init; }

    /// <summary>proxy-connect-timeout in milliseconds (0: proxy default).</summary>
    public int ConnectTimeoutMs { get; init; }

    /// <summary>proxy-send-timeout in milliseconds (0: proxy default).</summary>
    public int SendTimeoutMs { get; init; }

    /// <summary>proxy-read-timeout in milliseconds (0: proxy default).</summary>
    public int ReadTimeoutMs { get; init; }

    /// <summary>proxy-next-upstream; ingress-nginx's default is "error timeout".</summary>
    public NextUpstreamConditions NextUpstream { get; init; } = NextUpstreamConditions.Error | NextUpstreamConditions.Timeout;

    /// <summary>proxy-next-upstream-tries: attempts in total including the first (ingress-nginx default 3; 0: unlimited).</summary>
    public int NextUpstreamTries { get; init; } = 3;

    /// <summary>proxy-next-upstream-timeout in milliseconds (0: no limit).</summary>
    public int NextUpstreamTimeoutMs { get; init; }
}
