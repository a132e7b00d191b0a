using System.Diagnostics;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The per-request metrics of one series: one (host, ingress, backend service, canary) combination.
/// Created once per series when a route is first used and hung off the compiled route, so recording
/// a request touches only preallocated cells: no lookup, no lock, no allocation.
/// </summary>
internal sealed class RouteTelemetry
{
    /// <summary>ingress-nginx's request duration buckets (seconds).</summary>
    public static readonly double[] DurationBoundsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Body size buckets (bytes): 100 B to 100 MB, decades.</summary>
    public static readonly double[] SizeBoundsBytes = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    private static readonly long[] DurationBoundsTicks = [.. DurationBoundsSeconds.Select(s => (long)(s * Stopwatch.Frequency))];
    private static readonly long[] SizeBounds = [.. SizeBoundsBytes.Select(b => (long)b)];

    private long _upstreamConnectErrors;
    private long _upstreamTimeouts;
    private long _retries;

    public RouteTelemetry(SeriesLabels labels, HostLiveStats live)
    {
        Labels = labels;
        Live = live;
    }

    public SeriesLabels Labels { get; }

    public HostLiveStats Live { get; }

    public StatusMethodCounters Requests { get; } = new();

    public StripedHistogram Duration { get; } = new(DurationBoundsTicks);

    public StripedHistogram UpstreamDuration { get; } = new(DurationBoundsTicks);

    public StripedHistogram RequestSize { get; } = new(SizeBounds);

    public StripedHistogram ResponseSize { get; } = new(SizeBounds);

    public long UpstreamConnectErrors => Volatile.Read(ref _upstreamConnectErrors);

    public long UpstreamTimeouts => Volatile.Read(ref _upstreamTimeouts);

    public long Retries => Volatile.Read(ref _retries);

    /// <param name="upstreamTicks">Time spent forwarding, or a negative value when the request never reached a backend.</param>
    public void Record(int method, int status, long durationTicks, long upstreamTicks, long requestBytes, long responseBytes)
    {
        Requests.Increment(method, status);
        Duration.Record(durationTicks);
        if (upstreamTicks >= 0)
        {
            UpstreamDuration.Record(upstreamTicks);
        }

        RequestSize.Record(requestBytes);
        ResponseSize.Record(responseBytes);
        Live.Record(status, durationTicks, requestBytes, responseBytes);
    }

    public void UpstreamConnectFailed() => Interlocked.Increment(ref _upstreamConnectErrors);

    public void UpstreamTimedOut() => Interlocked.Increment(ref _upstreamTimeouts);

    public void RetryAttempted() => Interlocked.Increment(ref _retries);
}
