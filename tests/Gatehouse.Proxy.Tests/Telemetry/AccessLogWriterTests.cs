using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gatehouse.Proxy.Telemetry;

namespace Gatehouse.Tests.Telemetry;

/// <summary>The access log queue: lines are JSON, and a stalled output drops lines instead of blocking.</summary>
public sealed class AccessLogWriterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_stalled_output_drops_and_counts_entries_beyond_the_queue_and_never_blocks()
    {
        var output = new GatedStream();
        var writer = new AccessLogWriter(output, capacity: 4);
        var telemetry = new RequestTelemetry(writer, tracing: null);

        writer.Enqueue(Entry("/first"));
        await output.WriteEntered.Task.WaitAsync(Patience); // the writer took it and is stuck writing

        for (var i = 0; i < 10; i++)
        {
            writer.Enqueue(Entry("/burst-" + i)); // returns at once: 4 are queued, 6 dropped
        }

        Assert.Equal(6, writer.Dropped);
        var metrics = new RequestMetricsExposition(telemetry).Scrape();
        Assert.Contains("# TYPE gatehouse_access_log_dropped_total counter\ngatehouse_access_log_dropped_total 6\n", metrics, StringComparison.Ordinal);

        output.Release.SetResult();
        await telemetry.DisposeAsync();

        var lines = Encoding.UTF8.GetString(output.Written.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["/first", "/burst-0", "/burst-1", "/burst-2", "/burst-3"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task A_line_carries_every_field_with_times_in_seconds()
    {
        var output = new MemoryStream();
        var writer = new AccessLogWriter(output);
        writer.Enqueue(Entry("/a\"b") with
        {
            Upstream = "http://[::1]:8080",
            UpstreamTicks = Stopwatch.Frequency / 4,
            DurationTicks = Stopwatch.Frequency / 2,
            TraceId = ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"),
            Canary = true,
        });
        await writer.DisposeAsync();

        var line = Encoding.UTF8.GetString(output.ToArray());
        Assert.EndsWith("}\n", line, StringComparison.Ordinal);
        var entry = JsonDocument.Parse(line).RootElement;
        Assert.Equal(
            ["time", "host", "method", "path", "status", "request_size", "response_size", "duration", "upstream_addr", "upstream_time", "ingress", "canary", "trace_id", "protocol"],
            entry.EnumerateObject().Select(p => p.Name));
        Assert.Equal("/a\"b", entry.GetProperty("path").GetString());
        Assert.Equal("[::1]:8080", entry.GetProperty("upstream_addr").GetString());
        Assert.Equal(0.25, entry.GetProperty("upstream_time").GetDouble());
        Assert.Equal(0.5, entry.GetProperty("duration").GetDouble());
        Assert.Equal(42, entry.GetProperty("request_size").GetInt64());
        Assert.Equal(7, entry.GetProperty("response_size").GetInt64());
        Assert.Equal("ns/ing", entry.GetProperty("ingress").GetString());
        Assert.True(entry.GetProperty("canary").GetBoolean());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", entry.GetProperty("trace_id").GetString());
        Assert.Equal("HTTP/1.1", entry.GetProperty("protocol").GetString());
        Assert.Equal(new DateTime(2026, 11, 22, 7, 0, 0, DateTimeKind.Utc), entry.GetProperty("time").GetDateTime());
    }

    [Fact]
    public async Task Lines_are_written_in_order_by_synchronous_writes_from_a_thread_of_its_own()
    {
        var output = new ThreadRecordingStream();
        var writer = new AccessLogWriter(output);
        var paths = Enumerable.Range(0, 200).Select(i => "/" + new string('x', 100) + i).ToArray();
        foreach (var path in paths)
        {
            writer.Enqueue(Entry(path));
        }

        await writer.DisposeAsync();

        // About 50 KB of lines: several 4 KiB chunks, none through WriteAsync (which queues a pool
        // item per call on stdout's stream), none from a pool thread.
        Assert.True(output.Writes > 10, $"{output.Writes} writes");
        Assert.Equal(0, output.AsyncWrites);
        Assert.Equal(0, output.WritesOnPoolThreads);
        Assert.All(output.Chunks, chunk => Assert.True(chunk <= 4096 + 512, $"a chunk of {chunk} bytes"));
        var lines = Encoding.UTF8.GetString(output.Written.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(paths, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()));
    }

    private static AccessLogEntry Entry(string path) => new()
    {
        Time = new DateTime(2026, 11, 22, 7, 0, 0, DateTimeKind.Utc),
        Host = "shop.example.com",
        Method = "GET",
        Path = path,
        Status = 200,
        RequestSize = 42,
        ResponseSize = 7,
        DurationTicks = 1000,
        Upstream = "http://10.0.0.1:80",
        UpstreamTicks = 900,
        Ingress = "ns/ing",
        Canary = false,
        TraceId = default,
        TraceParent = null,
        Protocol = "HTTP/1.1",
    };

    /// <summary>An output whose first write blocks until the test releases it.</summary>
    private sealed class GatedStream : Stream
    {
        public TaskCompletionSource WriteEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public MemoryStream Written { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WriteEntered.TrySetResult();
            await Release.Task.ConfigureAwait(false);
            Written.Write(buffer.Span);
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>An output that records how and from which threads it is written.</summary>
    private sealed class ThreadRecordingStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public List<int> Chunks { get; } = [];

        public int Writes { get; private set; }

        public int AsyncWrites { get; private set; }

        public int WritesOnPoolThreads { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            Chunks.Add(buffer.Length);
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                WritesOnPoolThreads++;
            }

            Written.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            AsyncWrites++;
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
