using System.Diagnostics;
using Gatehouse.Proxy.Telemetry;
using Xunit;

namespace Gatehouse.Tests.Telemetry;

/// <summary>
/// A series keeps its four histograms, its (method, status) table and its stripes in one array
/// (RouteTelemetry). These tests pin down that every cell belongs to exactly one counter: a layout
/// where two buckets, a sum and a bucket, or two stripes shared a cell would count into each other.
/// </summary>
public sealed class RouteTelemetryTests
{
    private static readonly long Millisecond = Stopwatch.Frequency / 1000;

    // A value in each duration bucket (5 ms, 10 ms, ... 10 s, then +Inf) and each size bucket (100 B ... 100 MB, +Inf).
    private static readonly long[] DurationSamples = [.. new[] { 1, 7, 20, 40, 70, 200, 400, 700, 2_000, 4_000, 7_000, 20_000 }.Select(ms => ms * Millisecond)];
    private static readonly long[] SizeSamples = [0, 500, 5_000, 50_000, 500_000, 5_000_000, 50_000_000, 500_000_000];

    public static TheoryData<int> Stripes => [1, 2, 8];

    [Theory]
    [MemberData(nameof(Stripes))]
    public void Every_bucket_of_every_histogram_counts_on_its_own(int stripes)
    {
        var series = NewSeries(stripes);
        var expected = new long[4][];
        var sums = new long[4];
        expected[0] = new long[12];
        expected[1] = new long[12];
        expected[2] = new long[8];
        expected[3] = new long[8];

        // Request i lands in duration bucket i, upstream bucket 11 - i, request size bucket i % 8 and
        // response size bucket 7 - i % 8, so every bucket is hit while the others hold different counts.
        for (var i = 0; i < 12; i++)
        {
            for (var repeat = 0; repeat <= i; repeat++)
            {
                series.Record(0, 200, DurationSamples[i], DurationSamples[11 - i], SizeSamples[i % 8], SizeSamples[7 - (i % 8)]);
                expected[0][i]++;
                expected[1][11 - i]++;
                expected[2][i % 8]++;
                expected[3][7 - (i % 8)]++;
                sums[0] += DurationSamples[i];
                sums[1] += DurationSamples[11 - i];
                sums[2] += SizeSamples[i % 8];
                sums[3] += SizeSamples[7 - (i % 8)];
            }
        }

        AssertHistogram(series.Duration, expected[0], sums[0]);
        AssertHistogram(series.UpstreamDuration, expected[1], sums[1]);
        AssertHistogram(series.RequestSize, expected[2], sums[2]);
        AssertHistogram(series.ResponseSize, expected[3], sums[3]);
    }

    [Fact]
    public void A_request_that_never_reached_a_backend_leaves_the_upstream_histogram_alone()
    {
        var series = NewSeries(2);
        series.Record(0, 503, 3 * Millisecond, -1, 0, 120);

        AssertHistogram(series.UpstreamDuration, new long[12], 0);
        AssertHistogram(series.Duration, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 3 * Millisecond);
    }

    [Fact]
    public void Method_and_status_pairs_are_counted_apart_and_past_the_table_in_the_overflow()
    {
        var series = NewSeries(2);
        var pairs = new List<(int Method, int Status)>();
        for (var method = 0; method < 8; method++)
        {
            for (var status = 200; status < 210; status++)
            {
                pairs.Add((method, status));
            }
        }

        // 80 pairs for a 64-slot table; pair k is recorded k + 1 times.
        for (var k = 0; k < pairs.Count; k++)
        {
            for (var repeat = 0; repeat <= k; repeat++)
            {
                series.Record(pairs[k].Method, pairs[k].Status, Millisecond, Millisecond, 0, 0);
            }
        }

        var counted = new Dictionary<(int, int), long>();
        series.Requests.ForEach(counted, static (state, method, status, count) => state.Add((method, status), count));
        Assert.Equal(StatusMethodCounters.Capacity, counted.Count);
        long total = 0;
        foreach (var ((method, status), count) in counted)
        {
            Assert.Equal(pairs.IndexOf((method, status)) + 1, count);
            total += count;
        }

        // The first 64 pairs claimed the slots; the other 16 (recorded 65..80 times) are in the overflow.
        Assert.Equal(Enumerable.Range(65, 16).Sum(), series.Requests.Overflow);
        Assert.Equal(Enumerable.Range(1, 80).Sum(), total + series.Requests.Overflow);

        // The table sits beside the histograms: their counts are the requests, no more.
        Span<long> buckets = stackalloc long[13];
        series.Duration.Snapshot(buckets, out _);
        Assert.Equal(Enumerable.Range(1, 80).Sum(), buckets.ToArray().Sum());
    }

    [Fact]
    public async Task Concurrent_requests_on_every_processor_are_all_counted()
    {
        var series = NewSeries(RouteTelemetry.StripeCount);
        const int Threads = 8;
        const int PerThread = 20_000;
        using var start = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                series.Record(t % 2, 200 + (i % 3), DurationSamples[i % 12], DurationSamples[i % 12], SizeSamples[i % 8], SizeSamples[i % 8]);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(workers);

        Span<long> buckets = stackalloc long[13];
        foreach (var histogram in new[] { series.Duration, series.UpstreamDuration, series.RequestSize, series.ResponseSize })
        {
            histogram.Snapshot(buckets[..(histogram.BucketCount + 1)], out _);
            Assert.Equal(Threads * PerThread, buckets[..(histogram.BucketCount + 1)].ToArray().Sum());
        }

        long requests = 0;
        series.Requests.ForEach(0, (_, _, _, count) => requests += count);
        Assert.Equal(Threads * PerThread, requests);
        Assert.Equal(0, series.Requests.Overflow);
    }

    [Fact]
    public void The_host_live_view_gets_every_request_of_its_series()
    {
        var live = new HostLiveStats("shop.example.com");
        var series = new RouteTelemetry(new SeriesLabels("shop.example.com", "shop", "retail", "shop", false), live, 2);
        var second = HostLiveStats.CurrentSecond();
        series.Record(0, 200, 2 * Millisecond, Millisecond, 10, 1_000);
        series.Record(0, 502, 2 * Millisecond, Millisecond, 20, 2_000);

        // Both were recorded in this second or the next (the clock may tick in between).
        var window = live.Read(second + 2, 2);
        Assert.Equal(2, window.Requests);
        Assert.Equal(1, window.ServerErrors);
        Assert.Equal(30, window.BytesIn);
        Assert.Equal(3_000, window.BytesOut);
        Assert.Equal(2, window.Latency.Sum());
    }

    private static RouteTelemetry NewSeries(int stripes)
        => new(new SeriesLabels("shop.example.com", "shop", "retail", "shop", false), new HostLiveStats("shop.example.com"), stripes);

    private static void AssertHistogram(StripedHistogram histogram, long[] expected, long expectedSum)
    {
        var buckets = new long[histogram.BucketCount + 1];
        histogram.Snapshot(buckets, out var sum);
        Assert.Equal(expected, buckets);
        Assert.Equal(expectedSum, sum);
    }
}
