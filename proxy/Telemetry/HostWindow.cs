namespace Gatehouse.Proxy.Telemetry;

/// <summary>One host's totals over a window of complete seconds.</summary>
internal sealed class HostWindow
{
    public long Requests { get; set; }

    public long ServerErrors { get; set; }

    public long BytesIn { get; set; }

    public long BytesOut { get; set; }

    /// <summary>Counts per latency bucket of <see cref="HostLiveStats.LatencyBoundsMicros"/>, the last one for anything slower.</summary>
    public required long[] Latency { get; init; }

    /// <summary>
    /// The upper bound (ms) of the bucket holding quantile <paramref name="q"/>: at most 1.5× above the
    /// true value; 0 without requests.
    /// </summary>
    public double QuantileMilliseconds(double q)
    {
        long total = 0;
        foreach (var count in Latency)
        {
            total += count;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        var bounds = HostLiveStats.LatencyBoundsMicros;
        for (var i = 0; i < Latency.Length; i++)
        {
            seen += Latency[i];
            if (seen >= rank)
            {
                return Math.Round((i < bounds.Length ? bounds[i] : bounds[^1] * 1.5) / 1000.0, 3);
            }
        }

        return Math.Round(bounds[^1] / 1000.0, 3);
    }
}
