using System.Runtime.CompilerServices;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// One of a series' four fixed-bucket histograms over integer units (Stopwatch ticks, bytes), read
/// from the series' cell array (<see cref="RouteTelemetry"/>, which also records and owns the layout:
/// per processor stripe, bucket counts with +Inf last, and a sum). This type is the read side and the
/// bucket search.
/// </summary>
internal readonly struct StripedHistogram
{
    private readonly long[] _cells;
    private readonly int _histogram;
    private readonly int _stride;
    private readonly int _stripes;

    /// <param name="cells">The series' cells.</param>
    /// <param name="bounds">Inclusive upper bounds in recording units, ascending; +Inf is implied.</param>
    /// <param name="histogram">Which of the series' histograms (<see cref="RouteTelemetry.BucketCell"/>).</param>
    /// <param name="stride">Cells from one stripe to the next.</param>
    /// <param name="stripes">Number of stripes.</param>
    public StripedHistogram(long[] cells, long[] bounds, int histogram, int stride, int stripes)
    {
        _cells = cells;
        Bounds = bounds;
        _histogram = histogram;
        _stride = stride;
        _stripes = stripes;
    }

    public long[] Bounds { get; }

    public int BucketCount => Bounds.Length;

    /// <summary>The bucket <paramref name="value"/> falls in: the first bound not below it, or +Inf (bounds.Length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BucketOf(long[] bounds, long value)
    {
        var bucket = 0;
        while (bucket < bounds.Length && value > bounds[bucket])
        {
            bucket++;
        }

        return bucket;
    }

    /// <summary>Non-cumulative counts per bucket (the last is +Inf) and the sum, summed over stripes.</summary>
    public void Snapshot(Span<long> buckets, out long sum)
    {
        buckets.Clear();
        sum = 0;
        for (var stripe = 0; stripe < _stripes; stripe++)
        {
            var offset = stripe * _stride;
            for (var i = 0; i <= Bounds.Length; i++)
            {
                buckets[i] += Volatile.Read(ref _cells[offset + RouteTelemetry.BucketCell(_histogram, i)]);
            }

            sum += Volatile.Read(ref _cells[offset + RouteTelemetry.SumCell(_histogram)]);
        }
    }
}
