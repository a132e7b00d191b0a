using System.Diagnostics;

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

    public void Record(int status, long durationTicks, long bytesIn, long bytesOut)
    {
        var second = CurrentSecond();
        var offset = (int)(second % Seconds) * Stride;
        var cells = _cells;
        var stamp = Volatile.Read(ref cells[offset + StampCell]);
        if (stamp != second && Interlocked.CompareExchange(ref cells[offset + StampCell], second, stamp) == stamp)
        {
            // This writer owns the reset of a slot last used a minute (or more) ago.
            Array.Clear(cells, offset + 1, Stride - 1);
        }

        Interlocked.Increment(ref cells[offset + RequestsCell]);
        if (status >= 500)
        {
            Interlocked.Increment(ref cells[offset + ServerErrorsCell]);
        }

        Interlocked.Add(ref cells[offset + BytesInCell], bytesIn);
        Interlocked.Add(ref cells[offset + BytesOutCell], bytesOut);

        var bounds = LatencyBoundsTicks;
        var bucket = 0;
        while (bucket < bounds.Length && durationTicks > bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref cells[offset + LatencyCell + bucket]);
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
