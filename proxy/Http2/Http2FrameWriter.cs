using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Gatehouse.Proxy.Http2.Hpack;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// Everything a connection sends goes through here: frames are written under one lock, so a header
/// block is never split by another stream's frame, and flushes are coalesced. Writers never wait for
/// each other's flush to write; while one flush is in progress, frames go to an overflow buffer that the
/// flushing caller drains, and other flushes wait for it (that wait is the backpressure a slow client
/// puts on every stream).
/// </summary>
internal sealed class Http2FrameWriter : IEpollWork
{
    private const int MaxWindow = int.MaxValue;

    private readonly Lock _sync = new();
    private readonly PipeWriter _output;
    private ArrayBufferWriter<byte>? _overflow;
    private byte[] _headerScratch = new byte[4096];
    private bool _flushing;
    private bool _unflushed;
    private bool _completed;
    private bool _flushScheduled;
    private long _flushStartedAt;
    private TaskCompletionSource? _drained;
    private long _connectionWindow = 65_535;
    private int _peerMaxFrameSize = 16_384;
    private List<Http2Stream>? _windowWaiters;

    public Http2FrameWriter(PipeWriter output)
    {
        _output = output;
    }

    /// <summary>The transport refused a write (the client went away); every later write is dropped.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_sync)
            {
                return _completed;
            }
        }
    }

    /// <summary>When the send the client is holding up began (Environment.TickCount64), 0 when none is.</summary>
    public long StalledSince => Volatile.Read(ref _flushStartedAt);

    public void UpdatePeerMaxFrameSize(int size)
    {
        lock (_sync)
        {
            _peerMaxFrameSize = size;
        }
    }

    public void WriteSettings(Http2Limits limits)
    {
        lock (_sync)
        {
            // HEADER_TABLE_SIZE only when it differs from the protocol's default, which the decoder assumes otherwise.
            var count = limits.HeaderTableSize == 4096 ? 3 : 4;
            var span = Reserve(Http2FrameHeader.Size + (count * 6));
            Http2FrameHeader.Write(span, count * 6, Http2FrameType.Settings, 0, 0);
            WriteSetting(span[9..], Http2SettingId.MaxConcurrentStreams, (uint)limits.MaxConcurrentStreams);
            WriteSetting(span[15..], Http2SettingId.InitialWindowSize, (uint)limits.InitialStreamWindowSize);
            WriteSetting(span[21..], Http2SettingId.MaxHeaderListSize, (uint)limits.MaxHeaderListSize);
            if (count == 4)
            {
                WriteSetting(span[27..], Http2SettingId.HeaderTableSize, (uint)limits.HeaderTableSize);
            }

            Commit(Http2FrameHeader.Size + (count * 6));
        }

        static void WriteSetting(Span<byte> destination, Http2SettingId id, uint value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)id);
            BinaryPrimitives.WriteUInt32BigEndian(destination[2..], value);
        }
    }

    public void WriteSettingsAck() => WriteEmpty(Http2FrameType.Settings, Http2FrameFlags.Ack, 0);

    public void WritePingAck(ReadOnlySpan<byte> opaque)
    {
        lock (_sync)
        {
            var span = Reserve(Http2FrameHeader.Size + 8);
            Http2FrameHeader.Write(span, 8, Http2FrameType.Ping, Http2FrameFlags.Ack, 0);
            opaque.CopyTo(span[9..]);
            Commit(Http2FrameHeader.Size + 8);
        }
    }

    public void WriteWindowUpdate(int streamId, int increment)
    {
        lock (_sync)
        {
            var span = Reserve(Http2FrameHeader.Size + 4);
            Http2FrameHeader.Write(span, 4, Http2FrameType.WindowUpdate, 0, streamId);
            BinaryPrimitives.WriteUInt32BigEndian(span[9..], (uint)increment);
            Commit(Http2FrameHeader.Size + 4);
        }
    }

    public void WriteRstStream(int streamId, Http2ErrorCode code)
    {
        lock (_sync)
        {
            var span = Reserve(Http2FrameHeader.Size + 4);
            Http2FrameHeader.Write(span, 4, Http2FrameType.RstStream, 0, streamId);
            BinaryPrimitives.WriteUInt32BigEndian(span[9..], (uint)code);
            Commit(Http2FrameHeader.Size + 4);
        }
    }

    public void WriteGoAway(int lastStreamId, Http2ErrorCode code)
    {
        lock (_sync)
        {
            var span = Reserve(Http2FrameHeader.Size + 8);
            Http2FrameHeader.Write(span, 8, Http2FrameType.GoAway, 0, 0);
            BinaryPrimitives.WriteUInt32BigEndian(span[9..], (uint)lastStreamId);
            BinaryPrimitives.WriteUInt32BigEndian(span[13..], (uint)code);
            Commit(Http2FrameHeader.Size + 8);
        }
    }

    /// <summary>A response head, or trailers when <paramref name="statusCode"/> is 0. Returns the bytes of its frames.</summary>
    public int WriteHeaders(int streamId, int statusCode, IHeaderDictionary headers, bool endStream)
    {
        lock (_sync)
        {
            var block = EncodeHeaders(statusCode, headers);
            WriteHeaderBlock(streamId, block, endStream);
            var frames = Math.Max(1, (block.Length + _peerMaxFrameSize - 1) / _peerMaxFrameSize);
            return block.Length + (frames * Http2FrameHeader.Size);
        }
    }

    /// <summary>
    /// Writes as much of <paramref name="data"/> as the stream's and the connection's send windows allow,
    /// as DATA frames. Returns the bytes written; END_STREAM goes on the last frame only when all of
    /// <paramref name="data"/> fitted. A stream that got 0 is added to the waiters for a connection
    /// WINDOW_UPDATE when the connection window was what stopped it.
    /// </summary>
    public int WriteData(Http2Stream stream, ReadOnlySpan<byte> data, bool endStream)
    {
        lock (_sync)
        {
            if (_completed)
            {
                // Nothing will be sent; report it all written so the caller does not wait for a window.
                return data.Length;
            }

            var written = 0;
            while (true)
            {
                var remaining = data.Length - written;
                var allowed = (int)Math.Min(Math.Min(stream.SendWindow, _connectionWindow), Math.Min(remaining, _peerMaxFrameSize));
                if (allowed <= 0 && remaining > 0)
                {
                    if (_connectionWindow <= 0 && stream.SendWindow > 0)
                    {
                        _windowWaiters ??= [];
                        if (!_windowWaiters.Contains(stream))
                        {
                            _windowWaiters.Add(stream);
                        }
                    }

                    return written;
                }

                var last = allowed == remaining;
                var span = Reserve(Http2FrameHeader.Size + allowed);
                Http2FrameHeader.Write(span, allowed, Http2FrameType.Data, last && endStream ? Http2FrameFlags.EndStream : (byte)0, stream.StreamId);
                data.Slice(written, allowed).CopyTo(span[9..]);
                Commit(Http2FrameHeader.Size + allowed);
                stream.SendWindow -= allowed;
                stream.ResponseWireBytes += Http2FrameHeader.Size + allowed;
                _connectionWindow -= allowed;
                written += allowed;
                if (last)
                {
                    return written;
                }
            }
        }
    }

    /// <summary>WINDOW_UPDATE on stream 0. False when it would overflow the window (FLOW_CONTROL_ERROR).</summary>
    public bool AddConnectionWindow(int increment)
    {
        List<Http2Stream>? waiters;
        lock (_sync)
        {
            if (_connectionWindow + increment > MaxWindow)
            {
                return false;
            }

            _connectionWindow += increment;
            waiters = _windowWaiters;
            _windowWaiters = null;
        }

        if (waiters is not null)
        {
            foreach (var stream in waiters)
            {
                stream.OnWindowAvailable();
            }
        }

        return true;
    }

    /// <summary>Changes a stream's send window under the writer's lock (WINDOW_UPDATE, SETTINGS); false when it would overflow.</summary>
    public bool AdjustStreamWindow(Http2Stream stream, long delta)
    {
        lock (_sync)
        {
            var window = stream.SendWindow + delta;
            if (window > MaxWindow)
            {
                return false;
            }

            stream.SendWindow = window;
        }

        if (delta > 0)
        {
            stream.OnWindowAvailable();
        }

        return true;
    }

    public void RemoveWindowWaiter(Http2Stream stream)
    {
        lock (_sync)
        {
            _windowWaiters?.Remove(stream);
        }
    }

    /// <summary>
    /// Sends what was written. On an event loop the send waits for the end of the loop's batch, so the
    /// responses of every stream that finished in one batch leave in one write (one TLS record, one
    /// system call). Completes at once then; while an earlier send is still held up by the client, it
    /// completes when that one has gone (the backpressure).
    /// </summary>
    public ValueTask FlushAsync()
    {
        lock (_sync)
        {
            if (_flushing)
            {
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask(_drained.Task);
            }

            if (!_unflushed || _completed || _flushScheduled)
            {
                return default;
            }

            if (EpollLoop.Current is { } loop)
            {
                _flushScheduled = true;
                loop.Post(this);
                return default;
            }

            _flushing = true;
            _unflushed = false;
        }

        return FlushLoop();
    }

    /// <summary>Sends what was written now, not at the end of the loop's batch (GOAWAY before closing).</summary>
    public ValueTask FlushNowAsync()
    {
        lock (_sync)
        {
            if (_flushing)
            {
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask(_drained.Task);
            }

            if (!_unflushed || _completed)
            {
                return default;
            }

            _flushing = true;
            _unflushed = false;
        }

        return FlushLoop();
    }

    /// <summary>The deferred flush, at the end of the event loop's batch.</summary>
    void IEpollWork.Execute()
    {
        lock (_sync)
        {
            _flushScheduled = false;
            if (_flushing || !_unflushed || _completed)
            {
                return;
            }

            _flushing = true;
            _unflushed = false;
        }

        _ = FlushLoop();
    }

    /// <summary>No more frames: the transport's output is completed after what is buffered.</summary>
    public void Complete()
    {
        lock (_sync)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (_flushing)
            {
                // The flush in progress completes the output when it ends.
                return;
            }
        }

        _output.Complete();
    }

    private ValueTask FlushLoop()
    {
        while (true)
        {
            ValueTask<FlushResult> flush;
            FlushResult result;
            try
            {
                flush = _output.FlushAsync();
                if (!flush.IsCompleted)
                {
                    return AwaitFlushAsync(flush);
                }

                result = flush.Result;
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                EndFlushing(failed: true);
                return default;
            }

            if (!Continue(result))
            {
                return default;
            }
        }
    }

    private async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        Volatile.Write(ref _flushStartedAt, Environment.TickCount64);
        while (true)
        {
            FlushResult result;
            try
            {
                result = await flush.ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                EndFlushing(failed: true);
                return;
            }

            if (!Continue(result))
            {
                return;
            }

            try
            {
                flush = _output.FlushAsync();
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                EndFlushing(failed: true);
                return;
            }
        }
    }

    private static bool IsTransportFailure(Exception ex)
        => ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException
            or System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.ConnectionAbortedException;

    /// <summary>After one transport flush: moves the overflow to the transport and returns true to flush again, or ends the flush.</summary>
    private bool Continue(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            EndFlushing(failed: true);
            return false;
        }

        TaskCompletionSource? drained;
        bool complete;
        lock (_sync)
        {
            if (_overflow is { WrittenCount: > 0 } overflow && !_completed)
            {
                _output.Write(overflow.WrittenSpan);
                overflow.ResetWrittenCount();
                return true;
            }

            // In the same locked section that found the overflow empty: a frame written after it goes
            // straight to the transport (and is flushed by its writer), never into an overflow nobody drains.
            _flushing = false;
            _flushStartedAt = 0;
            drained = _drained;
            _drained = null;
            complete = _completed;
        }

        if (complete)
        {
            _output.Complete();
        }

        drained?.TrySetResult();
        return false;
    }

    private void EndFlushing(bool failed)
    {
        TaskCompletionSource? drained;
        bool complete;
        lock (_sync)
        {
            _flushing = false;
            _flushStartedAt = 0;
            drained = _drained;
            _drained = null;
            if (failed)
            {
                _completed = true;
                _overflow?.ResetWrittenCount();
            }

            complete = _completed;
        }

        if (complete)
        {
            _output.Complete();
        }

        drained?.TrySetResult();
    }

    private void WriteEmpty(Http2FrameType type, byte flags, int streamId)
    {
        lock (_sync)
        {
            var span = Reserve(Http2FrameHeader.Size);
            Http2FrameHeader.Write(span, 0, type, flags, streamId);
            Commit(Http2FrameHeader.Size);
        }
    }

    private ReadOnlySpan<byte> EncodeHeaders(int statusCode, IHeaderDictionary headers)
    {
        while (true)
        {
            var scratch = _headerScratch.AsSpan();
            var length = 0;
            var fits = true;
            if (statusCode != 0)
            {
                length = HpackEncoder.WriteStatus(statusCode, scratch);
            }

            if (headers is HeaderDictionary known)
            {
                foreach (var header in known)
                {
                    if (!(fits = TryEncode(header.Key, header.Value, scratch, ref length)))
                    {
                        break;
                    }
                }
            }
            else
            {
                foreach (var header in headers)
                {
                    if (!(fits = TryEncode(header.Key, header.Value, scratch, ref length)))
                    {
                        break;
                    }
                }
            }

            if (fits)
            {
                return scratch[..length];
            }

            _headerScratch = new byte[_headerScratch.Length * 2];
        }
    }

    private static bool TryEncode(string name, Microsoft.Extensions.Primitives.StringValues values, Span<byte> scratch, ref int length)
    {
        if (IsConnectionSpecific(name))
        {
            return true;
        }

        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            if (!HpackEncoder.TryWriteHeader(name, value, scratch[length..], out var written))
            {
                return false;
            }

            length += written;
        }

        return true;
    }

    private void WriteHeaderBlock(int streamId, ReadOnlySpan<byte> block, bool endStream)
    {
        // A block larger than the peer's frame size continues in CONTINUATION frames, written back to back.
        var first = Math.Min(block.Length, _peerMaxFrameSize);
        var flags = (byte)((endStream ? Http2FrameFlags.EndStream : 0) | (first == block.Length ? Http2FrameFlags.EndHeaders : 0));
        var span = Reserve(Http2FrameHeader.Size + first);
        Http2FrameHeader.Write(span, first, Http2FrameType.Headers, flags, streamId);
        block[..first].CopyTo(span[9..]);
        Commit(Http2FrameHeader.Size + first);
        var offset = first;
        while (offset < block.Length)
        {
            var size = Math.Min(block.Length - offset, _peerMaxFrameSize);
            span = Reserve(Http2FrameHeader.Size + size);
            Http2FrameHeader.Write(span, size, Http2FrameType.Continuation, offset + size == block.Length ? Http2FrameFlags.EndHeaders : (byte)0, streamId);
            block.Slice(offset, size).CopyTo(span[9..]);
            Commit(Http2FrameHeader.Size + size);
            offset += size;
        }
    }

    private static bool IsConnectionSpecific(string name)
        => name.Length switch
        {
            7 => name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase),
            10 => name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase),
            16 => name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase),
            17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };

    private Span<byte> Reserve(int size)
        => _flushing || _completed ? (_overflow ??= new ArrayBufferWriter<byte>(4096)).GetSpan(size) : _output.GetSpan(size);

    private void Commit(int size)
    {
        if (_completed)
        {
            _overflow!.ResetWrittenCount();
        }
        else if (_flushing)
        {
            _overflow!.Advance(size);
        }
        else
        {
            _output.Advance(size);
            _unflushed = true;
        }
    }
}
