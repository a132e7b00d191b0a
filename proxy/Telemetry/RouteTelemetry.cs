using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The per-request metrics of one series: one (host, ingress, backend service, canary) combination.
/// Created once per series when a route is first used and hung off the compiled route, so recording
/// a request touches only preallocated cells: no lookup, no lock, no allocation.
/// </summary>
/// <remarks>
/// All the counters live in one array, laid out so that a request touches few cache lines: with traffic
/// spread over a thousand hosts, each series is cold when its next request comes, and a line per
/// histogram object, array header and counter table was most of what recording cost. Per processor
/// stripe (so cores do not fight over lines): the four histograms' sums, then their buckets
/// interleaved bucket by bucket (<see cref="BucketCell"/>), so the low buckets where most requests
/// land (fast, small) share the stripe's first two lines; the (method, status) table follows the stripes.
/// </remarks>
internal sealed class RouteTelemetry
{
    /// <summary>ingress-nginx's request duration buckets (seconds).</summary>
    public static readonly double[] DurationBoundsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Body size buckets (bytes): 100 B to 100 MB, decades.</summary>
    public static readonly double[] SizeBoundsBytes = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    private static readonly long[] DurationBoundsTicks = Bounds(DurationBoundsSeconds, Stopwatch.Frequency, DurationBucketCount);
    private static readonly long[] SizeBounds = Bounds(SizeBoundsBytes, 1, SharedBuckets);

    // The histograms, in the order their cells interleave.
    internal const int DurationHistogram = 0;
    internal const int UpstreamHistogram = 1;
    internal const int RequestSizeHistogram = 2;
    internal const int ResponseSizeHistogram = 3;
    private const int Histograms = 4;

    // Buckets every histogram has (the size ones: 7 bounds and +Inf), interleaved four by four; the
    // duration histograms' further buckets (11 bounds and +Inf) follow two by two.
    private const int SharedBuckets = 8;
    private const int DurationBucketCount = 12;
    private const int ExtraBuckets = Histograms + SharedBuckets * Histograms;
    private const int StripeCellsUsed = ExtraBuckets + (DurationBucketCount - SharedBuckets) * 2;
    private const int CacheLineCells = 8;

    /// <summary>
    /// Cells per stripe: whole cache lines, so two stripes share at most the line at their boundary
    /// (the array's start is 8-byte aligned, not line-aligned).
    /// </summary>
    internal const int StripeCells = (StripeCellsUsed + CacheLineCells - 1) / CacheLineCells * CacheLineCells;

    private readonly long[] _cells;
    private readonly long[] _liveCells;
    private readonly int _stripeMask;
    private readonly int _countersOffset;
    private long _upstreamConnectErrors;
    private long _upstreamTimeouts;
    private long _retries;

    public RouteTelemetry(SeriesLabels labels, HostLiveStats live)
        : this(labels, live, StripeCount)
    {
    }

    /// <param name="stripes">A power of two (tests pick it; the proxy uses <see cref="StripeCount"/>).</param>
    internal RouteTelemetry(SeriesLabels labels, HostLiveStats live, int stripes)
    {
        if (stripes <= 0 || (stripes & (stripes - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stripes), stripes, "a power of two");
        }

        Labels = labels;
        Canary = labels.Canary;
        Live = live;
        _liveCells = live.Cells;
        _stripeMask = stripes - 1;
        _countersOffset = stripes * StripeCells;
        _cells = new long[_countersOffset + StatusMethodCounters.CellCount];
    }

    /// <summary>Power of two not above the processor count, at most 8: enough to spread contention without wasting memory per route.</summary>
    internal static int StripeCount { get; } = Math.Min(8, 1 << (31 - int.LeadingZeroCount(Math.Max(1, Environment.ProcessorCount))));

    public SeriesLabels Labels { get; }

    /// <summary><see cref="SeriesLabels.Canary"/>, kept here because the access log needs it on every request.</summary>
    public bool Canary { get; }

    public HostLiveStats Live { get; }

    public StatusMethodCounters Requests => new(_cells, _countersOffset);

    public StripedHistogram Duration => Histogram(DurationBoundsTicks, DurationHistogram);

    public StripedHistogram UpstreamDuration => Histogram(DurationBoundsTicks, UpstreamHistogram);

    public StripedHistogram RequestSize => Histogram(SizeBounds, RequestSizeHistogram);

    public StripedHistogram ResponseSize => Histogram(SizeBounds, ResponseSizeHistogram);

    public long UpstreamConnectErrors => Volatile.Read(ref _upstreamConnectErrors);

    public long UpstreamTimeouts => Volatile.Read(ref _upstreamTimeouts);

    public long Retries => Volatile.Read(ref _retries);

    /// <summary>Where, within a stripe, <paramref name="histogram"/> keeps the count of <paramref name="bucket"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BucketCell(int histogram, int bucket)
        => bucket < SharedBuckets
            ? Histograms + bucket * Histograms + histogram
            : ExtraBuckets + (bucket - SharedBuckets) * 2 + histogram;

    /// <summary>Where, within a stripe, <paramref name="histogram"/> keeps its sum.</summary>
    internal static int SumCell(int histogram) => histogram;

    /// <param name="upstreamTicks">Time spent forwarding, or a negative value when the request never reached a backend.</param>
    public void Record(int method, int status, long durationTicks, long upstreamTicks, long requestBytes, long responseBytes)
    {
        var duration = BucketCell(DurationHistogram, StripedHistogram.BucketOf(DurationBoundsTicks, durationTicks));
        var upstream = upstreamTicks >= 0 ? BucketCell(UpstreamHistogram, StripedHistogram.BucketOf(DurationBoundsTicks, upstreamTicks)) : -1;
        var requestSize = BucketCell(RequestSizeHistogram, StripedHistogram.BucketOf(SizeBounds, requestBytes));
        var responseSize = BucketCell(ResponseSizeHistogram, StripedHistogram.BucketOf(SizeBounds, responseBytes));
        var second = HostLiveStats.CurrentSecond();
        var latency = HostLiveStats.LatencyBucket(durationTicks);

        // The stripe index is masked and every cell offset is below StripeCells, so the cells written
        // are inside the array the constructor sized; no bounds check per cell.
        ref var stripe = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_cells), (Thread.GetCurrentProcessorId() & _stripeMask) * StripeCells);
        var requests = Requests;

        // Every line this request writes starts loading before the first interlocked operation,
        // which would otherwise wait for its line before the next one could be asked for. (Cells on
        // one line make repeated hints, which cost next to nothing.)
        CacheLines.Prefetch(ref stripe);
        CacheLines.Prefetch(ref Unsafe.Add(ref stripe, duration));
        if (upstream >= 0)
        {
            CacheLines.Prefetch(ref Unsafe.Add(ref stripe, upstream));
        }

        CacheLines.Prefetch(ref Unsafe.Add(ref stripe, requestSize));
        CacheLines.Prefetch(ref Unsafe.Add(ref stripe, responseSize));
        requests.Prefetch(method, status);
        HostLiveStats.Prefetch(_liveCells, second, latency);

        requests.Increment(method, status);
        Interlocked.Add(ref Unsafe.Add(ref stripe, SumCell(DurationHistogram)), durationTicks);
        Interlocked.Increment(ref Unsafe.Add(ref stripe, duration));
        if (upstream >= 0)
        {
            Interlocked.Add(ref Unsafe.Add(ref stripe, SumCell(UpstreamHistogram)), upstreamTicks);
            Interlocked.Increment(ref Unsafe.Add(ref stripe, upstream));
        }

        Interlocked.Add(ref Unsafe.Add(ref stripe, SumCell(RequestSizeHistogram)), requestBytes);
        Interlocked.Increment(ref Unsafe.Add(ref stripe, requestSize));
        Interlocked.Add(ref Unsafe.Add(ref stripe, SumCell(ResponseSizeHistogram)), responseBytes);
        Interlocked.Increment(ref Unsafe.Add(ref stripe, responseSize));
        HostLiveStats.Record(_liveCells, second, latency, status, requestBytes, responseBytes);
    }

    public void UpstreamConnectFailed() => Interlocked.Increment(ref _upstreamConnectErrors);

    public void UpstreamTimedOut() => Interlocked.Increment(ref _upstreamTimeouts);

    public void RetryAttempted() => Interlocked.Increment(ref _retries);

    // The cell layout is written for these bucket counts: bounds that do not fit it stop the proxy at
    // start-up rather than record into a neighbour's cells.
    private static long[] Bounds(double[] bounds, double unitsPerValue, int buckets)
        => bounds.Length + 1 == buckets
            ? [.. bounds.Select(b => (long)(b * unitsPerValue))]
            : throw new InvalidOperationException($"{bounds.Length} histogram bounds do not fit the series' cell layout, made for {buckets - 1}.");

    private StripedHistogram Histogram(long[] bounds, int histogram)
        => new(_cells, bounds, histogram, StripeCells, _stripeMask + 1);
}
