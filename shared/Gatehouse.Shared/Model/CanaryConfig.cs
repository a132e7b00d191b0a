using System.Collections.Immutable;

namespace Gatehouse.Model;

/// <summary>
/// A canary Ingress attached to a main route (same host, path and pathType). Request-time order, as in
/// ingress-nginx with Tengine-Ingress's extensions: header, then cookie, then query, then weight.
/// Value lists are matched case-insensitively (Tengine); an empty list means "no value given", in which
/// case ingress-nginx's always/never semantics apply to the raw header or cookie value.
/// </summary>
public sealed record CanaryConfig
{
    /// <summary>Name of the <see cref="BackendConfig"/> the canary forwards to.</summary>
    public required string Backend { get; init; }

    /// <summary>The canary Ingress, as "namespace/name".</summary>
    public string Ingress { get; init; } = "";

    /// <summary>canary-by-header: request header name, or null.</summary>
    public string? Header { get; init; }

    /// <summary>canary-by-header-value, split on "||".</summary>
    public ImmutableArray<string> HeaderValues { get; init; } = [];

    /// <summary>canary-by-header-pattern (a .NET-compatible regex validated by the controller); ignored when values are set.</summary>
    public string? HeaderPattern { get; init; }

    /// <summary>canary-by-cookie: cookie name, or null.</summary>
    public string? Cookie { get; init; }

    /// <summary>canary-by-cookie-value (Tengine), split on "||".</summary>
    public ImmutableArray<string> CookieValues { get; init; } = [];

    /// <summary>canary-by-query (Tengine): query parameter name, or null.</summary>
    public string? Query { get; init; }

    /// <summary>canary-by-query-value (Tengine), split on "||".</summary>
    public ImmutableArray<string> QueryValues { get; init; } = [];

    /// <summary>canary-mod-divisor (2..100); 0 means no modulo split.</summary>
    public int ModDivisor { get; init; }

    public CanaryModOperator ModOperator { get; init; } = CanaryModOperator.Equal;

    public int ModRemainder { get; init; }

    /// <summary>canary-weight; 0 means the weight rule never selects this canary.</summary>
    public int Weight { get; init; }

    /// <summary>canary-weight-total.</summary>
    public int WeightTotal { get; init; } = 100;

    /// <summary>canary-request-add-header: set (replace) on the request when a header/cookie/query rule matched.</summary>
    public ImmutableArray<HeaderValueConfig> RequestAddHeaders { get; init; } = [];

    /// <summary>canary-request-append-header: appended to any existing value.</summary>
    public ImmutableArray<HeaderValueConfig> RequestAppendHeaders { get; init; } = [];

    /// <summary>canary-request-add-query: "k=v&amp;k=v" appended to the upstream query string.</summary>
    public string? RequestAddQuery { get; init; }

    public ImmutableArray<HeaderValueConfig> ResponseAddHeaders { get; init; } = [];

    public ImmutableArray<HeaderValueConfig> ResponseAppendHeaders { get; init; } = [];

    /// <summary>The canary Ingress's own load-balance, upstream-hash-by and affinity (the only other annotations honoured).</summary>
    public UpstreamPolicyConfig? Upstream { get; init; }
}
