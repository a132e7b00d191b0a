using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;

namespace Gatehouse.Proxy.Policies;

/// <summary>
/// A route's proxy-*-timeout and proxy-next-upstream annotations, compiled once per route table
/// generation. Zero timeouts in the config mean "the proxy's default", resolved per request against
/// the process's <see cref="ForwarderOptions"/> (three comparisons, no allocation).
/// </summary>
internal sealed class UpstreamPolicy
{
    /// <summary>ingress-nginx's defaults: retry on error and timeout, 3 tries in all, no time budget.</summary>
    public static readonly UpstreamPolicy Default = new(new UpstreamPolicyConfig());

    // nginx's definition of a non-idempotent request (ngx_http_upstream_next: POST, LOCK, PATCH).
    private static readonly string[] NonIdempotentMethods = ["POST", "LOCK", "PATCH"];

    private readonly TimeSpan _connect;
    private readonly TimeSpan _send;
    private readonly TimeSpan _read;

    public UpstreamPolicy(UpstreamPolicyConfig config)
    {
        _connect = Milliseconds(config.ConnectTimeoutMs);
        _send = Milliseconds(config.SendTimeoutMs);
        _read = Milliseconds(config.ReadTimeoutMs);
        RetryOn = config.NextUpstream;
        Tries = config.NextUpstreamTries;
        RetryBudget = Milliseconds(config.NextUpstreamTimeoutMs);
    }

    public static UpstreamPolicy For(UpstreamPolicyConfig? config) => config is null ? Default : new UpstreamPolicy(config);

    /// <summary>proxy-next-upstream; <see cref="NextUpstreamConditions.None"/> is "off".</summary>
    public NextUpstreamConditions RetryOn { get; }

    /// <summary>proxy-next-upstream-tries: attempts in all, the first included; 0 = as many as there are endpoints.</summary>
    public int Tries { get; }

    /// <summary>proxy-next-upstream-timeout: no further attempt starts after this much time; zero = no limit.</summary>
    public TimeSpan RetryBudget { get; }

    public UpstreamTimeouts Timeouts(ForwarderOptions defaults) => new(
        _connect > TimeSpan.Zero ? _connect : defaults.ConnectTimeout,
        _send > TimeSpan.Zero ? _send : defaults.UpstreamTimeout,
        _read > TimeSpan.Zero ? _read : defaults.UpstreamTimeout);

    /// <summary>
    /// Whether any failure of a request with <paramref name="method"/> may lead to another attempt
    /// at all; which failures do is <see cref="RetryOn"/>'s business, checked where they happen.
    /// </summary>
    public bool AllowsRetry(string method)
    {
        if ((RetryOn & ~NextUpstreamConditions.NonIdempotent) == NextUpstreamConditions.None || Tries == 1)
        {
            return false;
        }

        if ((RetryOn & NextUpstreamConditions.NonIdempotent) != 0)
        {
            return true;
        }

        foreach (var nonIdempotent in NonIdempotentMethods)
        {
            if (ReferenceEquals(method, nonIdempotent) || method.Equals(nonIdempotent, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The proxy-next-upstream condition a backend status falls under, or None.</summary>
    public static NextUpstreamConditions ConditionFor(int status) => status switch
    {
        500 => NextUpstreamConditions.Http500,
        502 => NextUpstreamConditions.Http502,
        503 => NextUpstreamConditions.Http503,
        504 => NextUpstreamConditions.Http504,
        403 => NextUpstreamConditions.Http403,
        404 => NextUpstreamConditions.Http404,
        429 => NextUpstreamConditions.Http429,
        _ => NextUpstreamConditions.None,
    };

    private static TimeSpan Milliseconds(int value) => value > 0 ? TimeSpan.FromMilliseconds(value) : TimeSpan.Zero;
}
