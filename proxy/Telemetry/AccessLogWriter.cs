using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Collections.Concurrent;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Writes one JSON line per request to an output stream (stdout in production) from its own thread.
/// Requests only add an entry to a bounded lock-free queue that the writer drains in batches; when
/// the writer falls behind, new entries are dropped and counted rather than slowing requests down.
/// </summary>
/// <remarks>
/// The thread writes synchronously. Stdout's stream has no asynchronous write of its own, so
/// <see cref="Stream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> queued a thread-pool item
/// per 4 KiB chunk: under load about 3,000 pool wake-ups a second beside the traffic. A thread that
/// blocks in write(2) when stdout's reader is slow costs the requests nothing.
/// </remarks>
internal sealed class AccessLogWriter : IAsyncDisposable
{
    public const int DefaultCapacity = 16 * 1024;

    // Lines are written in chunks no larger than a pipe's atomic write size, so a log line from
    // another writer of the same stdout (the console logger) can never land inside one of ours.
    private const int FlushThreshold = 4096;

    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText HostName = JsonEncodedText.Encode("host");
    private static readonly JsonEncodedText MethodName = JsonEncodedText.Encode("method");
    private static readonly JsonEncodedText PathName = JsonEncodedText.Encode("path");
    private static readonly JsonEncodedText StatusName = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText RequestSizeName = JsonEncodedText.Encode("request_size");
    private static readonly JsonEncodedText ResponseSizeName = JsonEncodedText.Encode("response_size");
    private static readonly JsonEncodedText DurationName = JsonEncodedText.Encode("duration");
    private static readonly JsonEncodedText UpstreamAddrName = JsonEncodedText.Encode("upstream_addr");
    private static readonly JsonEncodedText UpstreamTimeName = JsonEncodedText.Encode("upstream_time");
    private static readonly JsonEncodedText IngressName = JsonEncodedText.Encode("ingress");
    private static readonly JsonEncodedText CanaryName = JsonEncodedText.Encode("canary");
    private static readonly JsonEncodedText TraceIdName = JsonEncodedText.Encode("trace_id");
    private static readonly JsonEncodedText ProtocolName = JsonEncodedText.Encode("protocol");

    private readonly ConcurrentQueue<AccessLogEntry> _queue = new();
    private readonly int _capacity;
    private readonly TimeSpan _flushInterval;
    private readonly ManualResetEventSlim _stopping = new(false, spinCount: 0);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stream _output;
    private byte[] _carry = new byte[1024];
    private int _queued;
    private long _dropped;
    private long _written;
    private volatile bool _completed;

    public AccessLogWriter(Stream output, int capacity = DefaultCapacity, TimeSpan? flushInterval = null)
    {
        _output = output;
        _capacity = capacity;
        _flushInterval = flushInterval ?? DefaultFlushInterval;
        new Thread(WriteLoop) { IsBackground = true, Name = "Gatehouse access log" }.Start();
    }

    /// <summary>
    /// How long the writer sleeps when it finds the queue empty. Requests never wake it (no signal, no
    /// lock on the request path); like nginx's buffered access_log with flush=, a line reaches the
    /// output at most this late, and under load each wake-up writes hundreds of lines at once.
    /// </summary>
    public static TimeSpan DefaultFlushInterval { get; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Entries dropped because the queue was full (gatehouse_access_log_dropped_total).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Lines written so far.</summary>
    public long Written => Volatile.Read(ref _written);

    public void Enqueue(in AccessLogEntry entry)
    {
        // A reservation first, so the bound holds without a lock: losing the race only drops.
        if (_completed || Interlocked.Increment(ref _queued) > _capacity)
        {
            if (!_completed)
            {
                Interlocked.Decrement(ref _queued);
            }

            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(entry);
    }

    /// <summary>Stops accepting entries and writes what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _completed = true;
        _stopping.Set();
        await _stopped.Task.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void WriteLoop()
    {
        var buffer = new ArrayBufferWriter<byte>(2 * FlushThreshold);
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        try
        {
            while (true)
            {
                // Read the flag before draining: entries queued before Dispose set it are then
                // drained by this pass or the next; none is left behind.
                var stopping = _stopping.IsSet;
                var drained = Drain(buffer, json);
                if (stopping)
                {
                    if (drained)
                    {
                        continue;
                    }

                    break;
                }

                if (Volatile.Read(ref _queued) > _capacity / 2)
                {
                    // Falling behind: no pause, or the queue would overflow and drop lines.
                    continue;
                }

                // Disposing ends the pause early; one more pass then drains what is left.
                _stopping.Wait(_flushInterval);
            }

            _stopped.TrySetResult();
        }
        catch (IOException)
        {
            // Stdout closed (the reader of our pipe went away): nothing left to log to.
            _stopped.TrySetResult();
        }
        catch (Exception ex)
        {
            _stopped.TrySetException(ex);
        }
    }

    /// <summary>Formats and writes every queued entry; false when there was none.</summary>
    private bool Drain(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        var any = false;
        while (_queue.TryDequeue(out var entry))
        {
            Interlocked.Decrement(ref _queued);
            any = true;
            var complete = buffer.WrittenCount;
            json.Reset(buffer);
            Format(json, entry);
            json.Flush();
            buffer.GetSpan(1)[0] = (byte)'\n';
            buffer.Advance(1);
            Interlocked.Increment(ref _written);
            if (buffer.WrittenCount > FlushThreshold && complete > 0)
            {
                // Write the lines before this one; this one starts the next chunk.
                WriteFront(buffer, complete);
            }
        }

        if (any)
        {
            WriteFront(buffer, buffer.WrittenCount);
            _output.Flush();
        }

        return any;
    }

    /// <summary>Writes the first <paramref name="length"/> bytes and keeps the rest at the front of the buffer.</summary>
    private void WriteFront(ArrayBufferWriter<byte> buffer, int length)
    {
        if (length > 0)
        {
            _output.Write(buffer.WrittenSpan[..length]);
        }

        // The rest is the one line that crossed the threshold: carried over in a reused array.
        var rest = buffer.WrittenSpan[length..];
        if (rest.Length > _carry.Length)
        {
            _carry = new byte[Math.Max(rest.Length, 2 * _carry.Length)];
        }

        rest.CopyTo(_carry);
        buffer.ResetWrittenCount();
        buffer.Write(_carry.AsSpan(0, rest.Length));
    }

    internal static void Format(Utf8JsonWriter json, in AccessLogEntry entry)
    {
        json.WriteStartObject();
        json.WriteString(TimeName, entry.Time);
        json.WriteString(HostName, entry.Host);
        json.WriteString(MethodName, entry.Method);
        json.WriteString(PathName, entry.Path);
        json.WriteNumber(StatusName, entry.Status);
        json.WriteNumber(RequestSizeName, entry.RequestSize);
        json.WriteNumber(ResponseSizeName, entry.ResponseSize);
        json.WriteNumber(DurationName, Seconds(entry.DurationTicks));
        if (entry.Upstream is { } upstream)
        {
            var separator = upstream.IndexOf("://", StringComparison.Ordinal);
            json.WriteString(UpstreamAddrName, separator >= 0 ? upstream.AsSpan(separator + 3) : upstream);
        }
        else
        {
            json.WriteNull(UpstreamAddrName);
        }

        if (entry.UpstreamTicks >= 0)
        {
            json.WriteNumber(UpstreamTimeName, Seconds(entry.UpstreamTicks));
        }
        else
        {
            json.WriteNull(UpstreamTimeName);
        }

        json.WriteString(IngressName, entry.Ingress);
        json.WriteBoolean(CanaryName, entry.Canary);
        if (entry.TraceId != default)
        {
            json.WriteString(TraceIdName, entry.TraceId.ToHexString());
        }
        else if (entry.TraceParent is { Length: >= 55 } traceParent && traceParent[2] == '-' && traceParent[35] == '-')
        {
            // traceparent = version "-" trace-id "-" parent-id "-" flags
            json.WriteString(TraceIdName, traceParent.AsSpan(3, 32));
        }
        else
        {
            json.WriteNull(TraceIdName);
        }

        // Last, so the fields before it keep their places for scripts that read them in order.
        json.WriteString(ProtocolName, entry.Protocol);
        json.WriteEndObject();
    }

    // Milliseconds resolution, like nginx's $request_time.
    private static double Seconds(long ticks) => Math.Round((double)ticks / Stopwatch.Frequency, 6);
}
