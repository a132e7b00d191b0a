using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The live view of one host: a ring of 60 one-second slots (requests, 5xx, bytes, a latency
/// histogram), written lock-free. The first writer of a new second claims the slot with
/// CompareExchange and clears it; a concurrent increment landing between the claim and the clear
/// can be lost, which a live view tolerates (the Prometheus counters are exact).
/// </summary>
internal sealed class HostLiveStats
{
    public const int Seconds = 60;

    private const int StampCell = 0;
    private const int RequestsCell = 1;
    private const int ServerErrorsCell = 2;
    private const int BytesInCell = 3;
    private const int BytesOutCell = 4;
    private const int LatencyCell = 5;
    private const int Stride = 40; // 5 + LatencyBuckets + 1 (overflow), rounded up to whole cache lines

    /// <summary>Latency bucket upper bounds in microseconds: 50 µs × 1.5^i, up to about 14 s.</summary>
    public static readonly double[] LatencyBoundsMicros = CreateLatencyBounds();

    private static readonly long[] LatencyBoundsTicks = [.. LatencyBoundsMicros.Select(us => (long)(us * Stopwatch.Frequency / 1_000_000))];

    private readonly long[] _cells = new long[Seconds * Stride];

    public HostLiveStats(string host) => Host = host;

    public string Host { get; }

    /// <summary>The current second on the monotonic clock; the ring's time base.</summary>
    public static long CurrentSecond() => Stopwatch.GetTimestamp() / Stopwatch.Frequency;

    /// <summary>The ring itself: the series of this host record into it directly (one object fewer to reach).</summary>
    internal long[] Cells => _cells;

    /// <summary>The latency bucket of a request that took <paramref name="durationTicks"/>, for <see cref="Prefetch"/> and <see cref="Record"/>.</summary>
    internal static int LatencyBucket(long durationTicks) => StripedHistogram.BucketOf(LatencyBoundsTicks, durationTicks);

    /// <summary>Starts fetching the lines <see cref="Record"/> writes for a request in <paramref name="second"/> with <paramref name="latencyBucket"/>.</summary>
    internal static void Prefetch(long[] cells, long second, int latencyBucket)
    {
        ref var slot = ref Slot(cells, second);
        CacheLines.Prefetch(ref slot);
        CacheLines.Prefetch(ref Unsafe.Add(ref slot, LatencyCell + latencyBucket));
    }

    /// <param name="cells">A host's <see cref="Cells"/>.</param>
    /// <param name="second">The request's <see cref="CurrentSecond"/>.</param>
    /// <param name="latencyBucket">The request's <see cref="LatencyBucket"/>.</param>
    internal static void Record(long[] cells, long second, int latencyBucket, int status, long bytesIn, long bytesOut)
    {
        if ((uint)latencyBucket > (uint)LatencyBoundsTicks.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(latencyBucket));
        }

        ref var slot = ref Slot(cells, second);
        var stamp = Volatile.Read(ref slot);
        if (stamp != second && Interlocked.CompareExchange(ref slot, second, stamp) == stamp)
        {
            // This writer owns the reset of a slot last used a minute (or more) ago.
            Array.Clear(cells, SlotOffset(second) + 1, Stride - 1);
        }

        Interlocked.Increment(ref Unsafe.Add(ref slot, RequestsCell));
        if (status >= 500)
        {
            Interlocked.Increment(ref Unsafe.Add(ref slot, ServerErrorsCell));
        }

        Interlocked.Add(ref Unsafe.Add(ref slot, BytesInCell), bytesIn);
        Interlocked.Add(ref Unsafe.Add(ref slot, BytesOutCell), bytesOut);
        Interlocked.Increment(ref Unsafe.Add(ref slot, LatencyCell + latencyBucket));
    }

    private static int SlotOffset(long second) => (int)(second % Seconds) * Stride;

    // A slot and its latency cells never pass the array's end (Seconds slots of Stride cells; a bucket is
    // at most LatencyBoundsTicks.Length), so after one length check the cells are reached without a
    // bounds check each. That check reads the array's header line; with Prefetch called first, its
    // miss overlaps the slot's instead of coming before it.
    private static ref long Slot(long[] cells, long second)
    {
        if (cells.Length != Seconds * Stride)
        {
            throw new ArgumentException("not a host's cells", nameof(cells));
        }

        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cells), SlotOffset(second));
    }

    /// <summary>Sums the complete seconds in [now - window, now - 1].</summary>
    public HostWindow Read(long now, int window)
    {
        var result = new HostWindow { Latency = new long[LatencyBoundsMicros.Length + 1] };
        for (var second = now - window; second < now; second++)
        {
            var offset = (int)(second % Seconds) * Stride;
            if (Volatile.Read(ref _cells[offset + StampCell]) != second)
            {
                continue;
            }

            result.Requests += Volatile.Read(ref _cells[offset + RequestsCell]);
            result.ServerErrors += Volatile.Read(ref _cells[offset + ServerErrorsCell]);
            result.BytesIn += Volatile.Read(ref _cells[offset + BytesInCell]);
            result.BytesOut += Volatile.Read(ref _cells[offset + BytesOutCell]);
            for (var i = 0; i < result.Latency.Length; i++)
            {
                result.Latency[i] += Volatile.Read(ref _cells[offset + LatencyCell + i]);
            }
        }

        return result;
    }

    private static double[] CreateLatencyBounds()
    {
        var bounds = new double[32];
        var value = 50.0;
        for (var i = 0; i < bounds.Length; i++)
        {
            bounds[i] = Math.Round(value);
            value *= 1.5;
        }

        return bounds;
    }
}
