using System.Net;
using Gatehouse.Channel;
using Gatehouse.MessagePack;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Serialization;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Telemetry;

/// <summary>/metrics on a whole in-process proxy whose channel is a fake blob source.</summary>
public sealed class ProxyMetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly Guid Instance = Guid.Parse("0b6d1c9e-57a4-4a43-9d52-2f1c0f0e5a11");

    // Routes only b.example.com, so a request to the traffic port for 127.0.0.1 matches nothing.
    private static readonly GatehouseConfig Good = Of([Host("b.example.com", Prefix("/", "b"))], [Backend("b", new EndpointConfig("10.0.0.2", 80))]);

    private static GatehouseConfig Decode(byte[] payload) => payload[0] switch
    {
        0xFF => throw new MessagePackFormatException("unexpected type code 0xc1", 17),
        0xFE => throw new ConfigSchemaException(new SchemaVersion(2, 0), SchemaVersion.Current),
        _ => Good,
    };

    private static ChannelReadResult Blob(long generation, byte payload)
        => new(ChannelReadStatus.NewBlob, new ChannelBlob(Instance, generation, SchemaVersion.Current, DateTimeOffset.UnixEpoch, [payload]));

    private static async Task<ProxyServer> StartAsync(FakeBlobSource source)
    {
        var options = ProxyHarness.LocalOptions() with { PollInterval = TimeSpan.FromMilliseconds(5) };
        var server = new ProxyServer(options, NullLoggerFactory.Instance, source, Decode);
        await server.StartAsync();
        return server;
    }

    private static async Task<string> ScrapeAsync(HttpClient client, int port)
    {
        using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task UndecodableBlobIsCountedOnceAndTheGenerationGaugeKeepsTheLastGood()
    {
        var source = new FakeBlobSource();
        source.Enqueue(Blob(7, 0)); // applied by the first poll, before the listeners start
        await using var server = await StartAsync(source);
        using var client = new HttpClient();

        var first = await ScrapeAsync(client, server.AdminPort);
        Assert.Contains("# TYPE gatehouse_config_generation gauge\ngatehouse_config_generation 7\n", first, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_last_reload_success_timestamp_seconds ", first, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_swap_duration_seconds_count 1\n", first, StringComparison.Ordinal);
        Assert.DoesNotContain("gatehouse_config_rejected_total", first, StringComparison.Ordinal);

        // Counted from after the enqueue: a poll that began before it may return nothing, and the blob's
        // poll is then done being handled only when the poll after it starts.
        source.Enqueue(Blob(8, 0xFF));
        await source.WaitForPollsAsync(2).WaitAsync(Patience);

        var afterBadBlob = await ScrapeAsync(client, server.AdminPort);
        Assert.Contains("# TYPE gatehouse_config_rejected_total counter\ngatehouse_config_rejected_total{reason=\"decode_error\"} 1\n", afterBadBlob, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_generation 7\n", afterBadBlob, StringComparison.Ordinal);

        // The channel reports a bad generation once; later polls see no change and must not count again.
        await source.WaitForPollsAsync(10).WaitAsync(Patience);
        var later = await ScrapeAsync(client, server.AdminPort);
        Assert.Contains("gatehouse_config_rejected_total{reason=\"decode_error\"} 1\n", later, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_generation 7\n", later, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_swap_duration_seconds_count 1\n", later, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APersistentChannelErrorIsCountedOnceAcrossPolls()
    {
        var source = new FakeBlobSource();
        source.Enqueue(Blob(3, 0));
        await using var server = await StartAsync(source);
        using var client = new HttpClient();

        source.Throw = new IOException("mmap failed");
        await source.WaitForPollsAsync(10).WaitAsync(Patience);
        var failing = await ScrapeAsync(client, server.AdminPort);

        // Recovers, then a schema from the future: another reason, counted separately.
        source.Throw = null;
        source.Enqueue(Blob(4, 0));
        source.Enqueue(Blob(5, 0xFE));
        await source.WaitForPollsAsync(3).WaitAsync(Patience);
        var recovered = await ScrapeAsync(client, server.AdminPort);

        Assert.Contains("gatehouse_config_rejected_total{reason=\"poll_failed\"} 1\n", failing, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_rejected_total{reason=\"poll_failed\"} 1\n", recovered, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_rejected_total{reason=\"schema_major\"} 1\n", recovered, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_generation 4\n", recovered, StringComparison.Ordinal);
        Assert.Contains("gatehouse_config_swap_duration_seconds_count 2\n", recovered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadGenerationInTheRealChannelIsCountedOnce()
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-metrics-");
        try
        {
            var path = Path.Combine(directory.FullName, "config.bin");
            using var writer = ConfigChannelWriter.Open(path);
            writer.Publish(ConfigSerializer.Serialize(Good), SchemaVersion.Current);
            var source = new FakeBlobSource { Inner = new ChannelBlobSource(path) };
            var options = ProxyHarness.LocalOptions() with { PollInterval = TimeSpan.FromMilliseconds(5) };
            await using var server = new ProxyServer(options, NullLoggerFactory.Instance, source, decode: null);
            await server.StartAsync();
            using var client = new HttpClient();

            var bad = writer.Publish([0xC1], SchemaVersion.Current); // 0xc1 is never valid MessagePack
            await source.WaitForPollsAsync(2).WaitAsync(Patience);
            var first = await ScrapeAsync(client, server.AdminPort);
            await source.WaitForPollsAsync(20).WaitAsync(Patience);
            var later = await ScrapeAsync(client, server.AdminPort);

            Assert.Equal(2, bad);
            Assert.Contains("gatehouse_config_rejected_total{reason=\"decode_error\"} 1\n", first, StringComparison.Ordinal);
            Assert.Contains("gatehouse_config_rejected_total{reason=\"decode_error\"} 1\n", later, StringComparison.Ordinal);
            Assert.Contains("gatehouse_config_generation 1\n", later, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MetricsAreNotServedOnTheTrafficPort()
    {
        var source = new FakeBlobSource();
        source.Enqueue(Blob(1, 0));
        await using var server = await StartAsync(source);
        using var client = new HttpClient();

        using var traffic = await client.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, traffic.StatusCode);
        Assert.DoesNotContain("gatehouse_config", await traffic.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachServerInAProcessReportsItsOwnGeneration()
    {
        var first = new FakeBlobSource();
        first.Enqueue(Blob(11, 0));
        var second = new FakeBlobSource();
        second.Enqueue(Blob(22, 0));
        await using var one = await StartAsync(first);
        await using var two = await StartAsync(second);
        using var client = new HttpClient();

        var text = await ScrapeAsync(client, one.AdminPort);

        Assert.Contains("gatehouse_config_generation 11\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("gatehouse_config_generation 22", text, StringComparison.Ordinal);
    }
}
