using System.Runtime.CompilerServices;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// A fixed-bucket histogram over integer units (Stopwatch ticks, bytes) recorded with Interlocked
/// adds on per-processor stripes, so concurrent requests on different cores do not fight over one
/// cache line. No locks, no allocation after construction; readers sum the stripes.
/// </summary>
internal sealed class StripedHistogram
{
    private const int CacheLineLongs = 8;

    private readonly long[] _bounds;
    private readonly long[] _cells;
    private readonly int _stride;
    private readonly int _stripeMask;

    /// <param name="bounds">Inclusive upper bounds in recording units, ascending; +Inf is implied.</param>
    public StripedHistogram(long[] bounds)
    {
        _bounds = bounds;

        // Per stripe: one cell per bucket, +Inf, the sum; rounded to whole cache lines.
        var used = bounds.Length + 2;
        _stride = (used + CacheLineLongs - 1) / CacheLineLongs * CacheLineLongs;
        var stripes = StripeCount;
        _stripeMask = stripes - 1;
        _cells = new long[stripes * _stride];
    }

    /// <summary>Power of two not above the processor count, at most 8: enough to spread contention without wasting memory per route.</summary>
    internal static int StripeCount { get; } = Math.Min(8, 1 << (31 - int.LeadingZeroCount(Math.Max(1, Environment.ProcessorCount))));

    public int BucketCount => _bounds.Length;

    public long[] Bounds => _bounds;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long value)
    {
        var bounds = _bounds;
        var bucket = 0;
        while (bucket < bounds.Length && value > bounds[bucket])
        {
            bucket++;
        }

        var stripe = (Thread.GetCurrentProcessorId() & _stripeMask) * _stride;
        Interlocked.Increment(ref _cells[stripe + bucket]);
        Interlocked.Add(ref _cells[stripe + bounds.Length + 1], value);
    }

    /// <summary>Non-cumulative counts per bucket (the last is +Inf) and the sum, summed over stripes.</summary>
    public void Snapshot(Span<long> buckets, out long sum)
    {
        buckets.Clear();
        sum = 0;
        for (var stripe = 0; stripe <= _stripeMask; stripe++)
        {
            var offset = stripe * _stride;
            for (var i = 0; i <= _bounds.Length; i++)
            {
                buckets[i] += Volatile.Read(ref _cells[offset + i]);
            }

            sum += Volatile.Read(ref _cells[offset + _bounds.Length + 1]);
        }
    }
}
