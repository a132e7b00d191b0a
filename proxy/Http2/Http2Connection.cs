using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http2.Hpack;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// One HTTP/2 connection (RFC 9113), server side. A single read loop parses frames and runs each
/// request's handler on its own thread as soon as the head is complete: no hop to the thread pool per
/// stream, no frame-writer task. Frames out go through <see cref="Http2FrameWriter"/>. Every rule a
/// client can break is checked here, and the flood budgets (<see cref="Http2Limits"/>) end connections
/// that cost more than they ask for.
/// </summary>
internal sealed partial class Http2Connection : IHttpConnectionFeature
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private const int MaxPooledStreams = 16;

    private readonly ConnectionContext _context;
    private readonly PipeReader _input;
    private readonly RequestHandler _handler;
    private readonly Http2Limits _limits;
    private readonly ILogger _logger;
    private readonly Action<string, Http2ErrorCode>? _onError;
    private readonly HpackDecoder _decoder;
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly Stack<Http2Stream> _pool = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Http2Stream> _completedStreams = new();
    private readonly Lock _windowLock = new();
    private readonly int[] _recentlyReset;
    private TokenBucket _controlFrames;
    private TokenBucket _resets;

    private byte[] _headerBlock = new byte[4096];
    private int _headerBlockLength;
    private int _headerBlockStreamId;
    private Http2Stream? _headerBlockStream;
    private bool _headerBlockEndStream;
    private bool _headerBlockIsTrailers;
    private bool _headerBlockRefused;
    private int _continuations;
    private long _headerBlockStartedAt;
    private long _headerBlockWireBytes;

    private int _lastStreamId;
    private int _activeStreams;
    private int _recentlyResetNext;
    private int _peerInitialWindowSize = 65_535;
    private int _receiveWindow = 65_535;
    private int _connectionCreditDue;
    private bool _sawSettings;
    private bool _prefaceReceived;
    private bool _clientGoAway;
    private volatile bool _goAwayRequested;
    private bool _goAwaySent;
    private volatile string? _closeReason;
    private long _idleSince;
    private readonly long _startedAt;
    private TaskCompletionSource? _streamsDrained;

    public Http2Connection(ConnectionContext context, RequestHandler handler, Http2Limits limits, bool isTls, ILogger logger, Action<string, Http2ErrorCode>? onError = null)
    {
        _onError = onError;

        // DATA may still be in flight on every stream reset while others were open.
        _recentlyReset = new int[Math.Max(64, 2 * limits.MaxConcurrentStreams)];
        _context = context;
        _input = context.Transport.Input;
        _handler = handler;
        _limits = limits;
        _logger = logger;
        Writer = new Http2FrameWriter(context.Transport.Output);
        _decoder = new HpackDecoder(limits.HeaderTableSize, limits.MaxHeaderListSize);
        _controlFrames = new TokenBucket(limits.ControlFrameBurst, limits.ControlFramesPerSecond);
        _resets = new TokenBucket(limits.ResetBurst, limits.ResetsPerSecond);
        Scheme = isTls ? "https" : "http";
        _startedAt = _idleSince = Environment.TickCount64;
        if (context.RemoteEndPoint is IPEndPoint remote)
        {
            RemoteIpAddress = remote.Address;
            RemotePort = remote.Port;
        }

        if (context.LocalEndPoint is IPEndPoint local)
        {
            LocalIpAddress = local.Address;
            LocalPort = local.Port;
        }
    }

    public Http2FrameWriter Writer { get; }

    public TimeSpan SendTimeout => _limits.SendTimeout;

    public string Scheme { get; }

    public IFeatureCollection ConnectionFeatures => _context.Features;

    public Http2FieldStrings Strings { get; } = new();

    public string ConnectionId
    {
        get => _context.ConnectionId;
        set => _context.ConnectionId = value;
    }

    public IPAddress? RemoteIpAddress { get; set; }

    public IPAddress? LocalIpAddress { get; set; }

    public int RemotePort { get; set; }

    public int LocalPort { get; set; }

    public async Task ProcessAsync()
    {
        Http2Deadlines.Register(this);
        using var shutdown = _context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .UnsafeRegister(static state => ((Http2Connection)state!).RequestGoAway(), this);
        try
        {
            Writer.WriteSettings(_limits);
            var raise = _limits.InitialConnectionWindowSize - 65_535;
            if (raise > 0)
            {
                Writer.WriteWindowUpdate(0, raise);
                _receiveWindow += raise;
            }

            await Writer.FlushAsync().ConfigureAwait(false);
            await ReadFramesAsync().ConfigureAwait(false);
        }
        catch (Http2ConnectionException ex)
        {
            LogConnectionError(_logger, ConnectionId, Http2ErrorNames.Of(ex.Code), ex.Message);
            _onError?.Invoke("connection", ex.Code);
            Writer.WriteGoAway(_lastStreamId, ex.Code);
            await Writer.FlushNowAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away; its streams are aborted below.
        }
        catch (Exception ex)
        {
            LogConnectionFailed(_logger, ConnectionId, ex);
            Writer.WriteGoAway(_lastStreamId, Http2ErrorCode.InternalError);
            await Writer.FlushNowAsync().ConfigureAwait(false);
        }
        finally
        {
            Http2Deadlines.Unregister(this);
            await EndStreamsAsync().ConfigureAwait(false);
            await Writer.FlushNowAsync().ConfigureAwait(false);
            Writer.Complete();
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadFramesAsync()
    {
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                if (!_prefaceReceived)
                {
                    if (!TryReadPreface(ref buffer))
                    {
                        if (result.IsCompleted)
                        {
                            return;
                        }

                        continue;
                    }
                }

                RecycleCompletedStreams();
                while (TryReadFrame(ref buffer, out var header, out var payload))
                {
                    ProcessFrame(header, payload);
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (_goAwayRequested && !_goAwaySent)
            {
                SendGoAway(Http2ErrorCode.NoError);
            }

            if (_closeReason is { } reason)
            {
                LogClosed(_logger, ConnectionId, reason);
                if (!_goAwaySent)
                {
                    SendGoAway(Http2ErrorCode.NoError);
                }

                await Writer.FlushNowAsync().ConfigureAwait(false);
                return;
            }

            // Control frames answered while parsing (ACKs, WINDOW_UPDATEs, RST_STREAMs) leave together.
            // Waiting here is what stops a client that floods without reading.
            await Writer.FlushAsync().ConfigureAwait(false);

            if (result.IsCompleted)
            {
                return;
            }

            if ((_goAwaySent || _clientGoAway) && Volatile.Read(ref _activeStreams) == 0)
            {
                return;
            }
        }
    }

    private bool TryReadPreface(ref ReadOnlySequence<byte> buffer)
    {
        var available = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> received = stackalloc byte[Preface.Length];
        buffer.Slice(0, available).CopyTo(received);
        if (!received[..available].SequenceEqual(Preface[..available]))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "the client did not send the HTTP/2 connection preface");
        }

        if (available < Preface.Length)
        {
            return false;
        }

        buffer = buffer.Slice(Preface.Length);
        _prefaceReceived = true;
        return true;
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out Http2FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        if (!Http2FrameHeader.TryRead(buffer, out header))
        {
            payload = default;
            return false;
        }

        // Refused before its payload arrives: nothing is buffered for an oversized frame.
        if (header.Length > _limits.MaxFrameSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a {header.Type} frame of {header.Length} bytes is larger than SETTINGS_MAX_FRAME_SIZE ({_limits.MaxFrameSize})");
        }

        if (buffer.Length < Http2FrameHeader.Size + header.Length)
        {
            payload = default;
            return false;
        }

        payload = buffer.Slice(Http2FrameHeader.Size, header.Length);
        buffer = buffer.Slice(Http2FrameHeader.Size + header.Length);
        return true;
    }

    private void ProcessFrame(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_headerBlockStreamId != 0 && (header.Type != Http2FrameType.Continuation || header.StreamId != _headerBlockStreamId))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"a {header.Type} frame arrived inside the header block of stream {_headerBlockStreamId}");
        }

        if (!_sawSettings && header.Type != Http2FrameType.Settings)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "the first frame was not SETTINGS");
        }

        try
        {
            switch (header.Type)
            {
                case Http2FrameType.Data:
                    OnData(header, payload);
                    break;
                case Http2FrameType.Headers:
                    OnHeaders(header, payload);
                    break;
                case Http2FrameType.Priority:
                    OnPriority(header, payload);
                    break;
                case Http2FrameType.RstStream:
                    OnRstStream(header, payload);
                    break;
                case Http2FrameType.Settings:
                    OnSettings(header, payload);
                    break;
                case Http2FrameType.PushPromise:
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "a client sent PUSH_PROMISE");
                case Http2FrameType.Ping:
                    OnPing(header, payload);
                    break;
                case Http2FrameType.GoAway:
                    OnGoAway(header);
                    break;
                case Http2FrameType.WindowUpdate:
                    OnWindowUpdate(header, payload);
                    break;
                case Http2FrameType.Continuation:
                    OnContinuation(header, payload);
                    break;
                default:
                    // Extension frames are ignored (RFC 9113 5.5), but they still cost a token.
                    TakeControlToken();
                    break;
            }
        }
        catch (Http2StreamException ex)
        {
            LogStreamError(_logger, ConnectionId, ex.StreamId, ex.Code, ex.Message);
            _onError?.Invoke("stream", ex.Code);
            ResetStream(ex.StreamId, ex.Code);
        }
    }

    // ---------------------------------------------------------------- DATA

    private void OnData(in Http2FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "DATA on stream 0");
        }

        var data = RemovePadding(header, payload);
        if (Interlocked.Add(ref _receiveWindow, -header.Length) < 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "DATA beyond the connection's flow-control window");
        }

        var endStream = header.HasFlag(Http2FrameFlags.EndStream);
        if (data.IsEmpty && !endStream)
        {
            TakeControlToken();
        }

        var stream = FindStream(header.StreamId);
        if (stream is null)
        {
            if (header.StreamId > _lastStreamId)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"DATA on idle stream {header.StreamId}");
            }

            GiveBackConnectionWindow(header.Length);
            if (!WasRecentlyReset(header.StreamId))
            {
                throw new Http2ConnectionException(Http2ErrorCode.StreamClosed, $"DATA on closed stream {header.StreamId}");
            }

            return;
        }

        if (stream.RequestEnded)
        {
            GiveBackConnectionWindow(header.Length);
            if (stream.IsReset)
            {
                return;
            }

            throw new Http2StreamException(header.StreamId, Http2ErrorCode.StreamClosed, "DATA after END_STREAM");
        }

        int credit;
        try
        {
            credit = stream.OnData(data, header.Length, endStream);
        }
        catch (Http2StreamException)
        {
            // The frame counted against the connection window (RFC 9113 6.9) but nobody will read it.
            GiveBackConnectionWindow(header.Length);
            throw;
        }

        if (credit > 0)
        {
            GiveBackConnectionWindow(credit);
        }
    }

    private static ReadOnlySequence<byte> RemovePadding(in Http2FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (!header.HasFlag(Http2FrameFlags.Padded))
        {
            return payload;
        }

        if (payload.IsEmpty)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a padded {header.Type} frame without its pad length");
        }

        var padLength = payload.FirstSpan[0];
        if (padLength >= payload.Length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"a {header.Type} frame's padding is as long as its payload");
        }

        return payload.Slice(1, payload.Length - 1 - padLength);
    }

    // ---------------------------------------------------------------- HEADERS and CONTINUATION

    private void OnHeaders(in Http2FrameHeader header, ReadOnlySequence<byte> payload)
    {
        _idleSince = Environment.TickCount64;
        var streamId = header.StreamId;
        if (streamId == 0 || (streamId & 1) == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS on stream {streamId}, which a client cannot open");
        }

        var fragment = RemovePadding(header, payload);
        if (header.HasFlag(Http2FrameFlags.Priority))
        {
            if (fragment.Length < 5)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "HEADERS too short for its priority fields");
            }

            Span<byte> priority = stackalloc byte[4];
            fragment.Slice(0, 4).CopyTo(priority);
            fragment = fragment.Slice(5);
            if ((int)(BinaryPrimitives.ReadUInt32BigEndian(priority) & 0x7FFF_FFFF) == streamId)
            {
                // Still decoded below (the HPACK state must stay in step); the stream is then reset.
                _lastStreamId = Math.Max(_lastStreamId, streamId);
                BeginHeaderBlock(header, fragment, null, trailers: false, refused: false);
                ResetStream(streamId, Http2ErrorCode.ProtocolError);
                return;
            }
        }

        var endStream = header.HasFlag(Http2FrameFlags.EndStream);
        var existing = FindStream(streamId);
        if (existing is not null)
        {
            // Trailers: allowed once, and they end the request.
            if (existing.RequestEnded)
            {
                BeginHeaderBlock(header, fragment, null, trailers: false, refused: true);
                if (!existing.IsReset)
                {
                    throw new Http2StreamException(streamId, Http2ErrorCode.StreamClosed, "HEADERS after END_STREAM");
                }

                return;
            }

            if (!endStream)
            {
                BeginHeaderBlock(header, fragment, null, trailers: false, refused: true);
                throw new Http2StreamException(streamId, Http2ErrorCode.ProtocolError, "trailers without END_STREAM");
            }

            existing.BeginTrailers();
            BeginHeaderBlock(header, fragment, existing, trailers: true, refused: false);
            return;
        }

        if (streamId <= _lastStreamId && WasRecentlyReset(streamId))
        {
            // Trailers the client sent before it saw our RST_STREAM: ignored (RFC 9113 5.1), but decoded for HPACK.
            // They carry no request, so they cost a control token like any other such frame.
            TakeControlToken();
            BeginHeaderBlock(header, fragment, null, trailers: false, refused: false);
            return;
        }

        if (streamId <= _lastStreamId)
        {
            throw new Http2ConnectionException(
                WasRecentlyReset(streamId) ? Http2ErrorCode.StreamClosed : Http2ErrorCode.ProtocolError,
                $"HEADERS on stream {streamId}, not above the last opened stream {_lastStreamId}");
        }

        _lastStreamId = streamId;
        if (_goAwaySent)
        {
            // After GOAWAY new streams are ignored (RFC 9113 6.8), but their header blocks are decoded.
            BeginHeaderBlock(header, fragment, null, trailers: false, refused: false);
            return;
        }

        if (Volatile.Read(ref _activeStreams) >= _limits.MaxConcurrentStreams)
        {
            if (!_resets.TryTake())
            {
                throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, "too many streams refused over the concurrency limit");
            }

            BeginHeaderBlock(header, fragment, null, trailers: false, refused: true);
            return;
        }

        var stream = RentStream();
        stream.Initialize(streamId, _peerInitialWindowSize, _limits.InitialStreamWindowSize);
        BeginHeaderBlock(header, fragment, stream, trailers: false, refused: false);
    }

    private void BeginHeaderBlock(in Http2FrameHeader header, in ReadOnlySequence<byte> fragment, Http2Stream? stream, bool trailers, bool refused)
    {
        _headerBlockLength = 0;
        _continuations = 0;
        _headerBlockStream = stream;
        _headerBlockIsTrailers = trailers;
        _headerBlockRefused = refused;
        _headerBlockEndStream = header.HasFlag(Http2FrameFlags.EndStream);
        _headerBlockWireBytes = Http2FrameHeader.Size + header.Length;
        AppendHeaderBlock(fragment);
        if (header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            _headerBlockStreamId = 0;
            EndHeaderBlock(header.StreamId);
        }
        else
        {
            _headerBlockStreamId = header.StreamId;
            _headerBlockStartedAt = Environment.TickCount64;
        }
    }

    private void OnContinuation(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_headerBlockStreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "CONTINUATION without HEADERS before it");
        }

        if (++_continuations > _limits.MaxContinuationFrames)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"a header block of more than {_limits.MaxContinuationFrames} CONTINUATION frames");
        }

        _headerBlockWireBytes += Http2FrameHeader.Size + header.Length;
        AppendHeaderBlock(payload);
        if (header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            var streamId = _headerBlockStreamId;
            _headerBlockStreamId = 0;
            EndHeaderBlock(streamId);
        }
    }

    private void AppendHeaderBlock(in ReadOnlySequence<byte> fragment)
    {
        var length = _headerBlockLength + (int)fragment.Length;
        if (length > _limits.MaxHeaderBlockSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"a header block larger than {_limits.MaxHeaderBlockSize} bytes");
        }

        if (length > _headerBlock.Length)
        {
            Array.Resize(ref _headerBlock, Math.Min(Math.Max(length, _headerBlock.Length * 2), _limits.MaxHeaderBlockSize));
        }

        fragment.CopyTo(_headerBlock.AsSpan(_headerBlockLength));
        _headerBlockLength = length;
    }

    private void EndHeaderBlock(int streamId)
    {
        var stream = _headerBlockStream;
        _headerBlockStream = null;
        if (_headerBlockIsTrailers && stream is not null && FindStream(streamId) != stream)
        {
            // The handler finished while the trailers' CONTINUATIONs came in: the stream is closed (and may be
            // recycled already). The block is decoded for HPACK and ignored.
            stream = null;
        }

        var block = _headerBlock.AsSpan(0, _headerBlockLength);
        bool fits;
        try
        {
            fits = _decoder.Decode(block, (IHpackHeaderSink?)stream ?? DiscardingSink.Instance);
        }
        catch (HpackDecodingException ex)
        {
            throw new Http2ConnectionException(Http2ErrorCode.CompressionError, ex.Message);
        }

        if (_headerBlock.Length > 16 * 1024 && _headerBlockLength < 4096)
        {
            // One large block does not pin its buffer for the connection's life.
            _headerBlock = new byte[4096];
        }

        stream?.AddRequestWireBytes(_headerBlockWireBytes);
        if (stream is null)
        {
            if (_headerBlockRefused && !_goAwaySent && FindStream(streamId) is null)
            {
                Writer.WriteRstStream(streamId, Http2ErrorCode.RefusedStream);
                RememberReset(streamId);
            }

            return;
        }

        if (_headerBlockIsTrailers)
        {
            if (stream.CompleteTrailers() is { } invalid)
            {
                throw new Http2StreamException(streamId, Http2ErrorCode.ProtocolError, invalid);
            }

            var credit = stream.OnData(ReadOnlySequence<byte>.Empty, 0, endStream: true);
            if (credit > 0)
            {
                GiveBackConnectionWindow(credit);
            }

            return;
        }

        var endStream = _headerBlockEndStream;
        var malformed = stream.CompleteHead(endStream, headerListTooLarge: !fits, out var status);
        if (malformed is not null)
        {
            LogStreamError(_logger, ConnectionId, streamId, Http2ErrorCode.ProtocolError, malformed);
            _onError?.Invoke("stream", Http2ErrorCode.ProtocolError);
            Writer.WriteRstStream(streamId, Http2ErrorCode.ProtocolError);
            RememberReset(streamId);
            ReturnStream(stream);
            return;
        }

        if (status != 0)
        {
            stream.RespondDirectly(status);
            if (!endStream)
            {
                Writer.WriteRstStream(streamId, Http2ErrorCode.NoError);
                RememberReset(streamId);
            }

            ReturnStream(stream);
            return;
        }

        lock (_streams)
        {
            _streams.Add(streamId, stream);
            _activeStreams++;
        }

        if (!endStream)
        {
            stream.OpenBody();
        }

        stream.Execute(_handler);
    }

    // ---------------------------------------------------------------- other frames

    private void OnPriority(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PRIORITY on stream 0");
        }

        TakeControlToken();
        if (header.Length != 5)
        {
            throw new Http2StreamException(header.StreamId, Http2ErrorCode.FrameSizeError, "PRIORITY not 5 bytes long");
        }

        Span<byte> bytes = stackalloc byte[4];
        payload.Slice(0, 4).CopyTo(bytes);
        if ((int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFF_FFFF) == header.StreamId)
        {
            throw new Http2StreamException(header.StreamId, Http2ErrorCode.ProtocolError, "a stream depending on itself");
        }
    }

    private void OnRstStream(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "RST_STREAM not 4 bytes long");
        }

        if (header.StreamId == 0 || header.StreamId > _lastStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"RST_STREAM on idle stream {header.StreamId}");
        }

        var stream = FindStream(header.StreamId);
        if (stream is null || stream.IsReset)
        {
            return;
        }

        // Rapid reset (CVE-2023-44487): every stream the client abandons while its handler runs costs a token.
        if (!_resets.TryTake())
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, "too many streams reset by the client");
        }

        Span<byte> bytes = stackalloc byte[4];
        payload.CopyTo(bytes);
        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(bytes);
        RememberReset(header.StreamId);
        stream.Abort(new IOException($"The client reset the HTTP/2 stream ({code})."));
    }

    private void OnSettings(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS on a stream");
        }

        if (header.HasFlag(Http2FrameFlags.Ack))
        {
            if (header.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS ACK with a payload");
            }

            return;
        }

        if (header.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS payload not a multiple of 6");
        }

        if (_sawSettings)
        {
            TakeControlToken();
        }

        _sawSettings = true;
        Span<byte> setting = stackalloc byte[6];
        for (var offset = 0; offset < header.Length; offset += 6)
        {
            payload.Slice(offset, 6).CopyTo(setting);
            var id = (Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(setting);
            var value = BinaryPrimitives.ReadUInt32BigEndian(setting[2..]);
            switch (id)
            {
                case Http2SettingId.EnablePush when value > 1:
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS_ENABLE_PUSH other than 0 or 1");
                case Http2SettingId.InitialWindowSize:
                    if (value > int.MaxValue)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
                    }

                    ChangeInitialWindowSize((int)value);
                    break;
                case Http2SettingId.MaxFrameSize:
                    if (value is < 16_384 or > 16_777_215)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS_MAX_FRAME_SIZE out of range");
                    }

                    Writer.UpdatePeerMaxFrameSize((int)value);
                    break;
                default:
                    // HEADER_TABLE_SIZE: responses never use the dynamic table. The rest: nothing to do, or unknown.
                    break;
            }
        }

        Writer.WriteSettingsAck();
    }

    private void ChangeInitialWindowSize(int value)
    {
        var delta = value - _peerInitialWindowSize;
        _peerInitialWindowSize = value;
        if (delta == 0)
        {
            return;
        }

        Http2Stream[] streams;
        lock (_streams)
        {
            streams = [.. _streams.Values];
        }

        foreach (var stream in streams)
        {
            if (!Writer.AdjustStreamWindow(stream, delta))
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream's window");
            }
        }
    }

    private void OnPing(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PING on a stream");
        }

        if (header.Length != 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "PING not 8 bytes long");
        }

        TakeControlToken();
        if (header.HasFlag(Http2FrameFlags.Ack))
        {
            return;
        }

        Span<byte> opaque = stackalloc byte[8];
        payload.CopyTo(opaque);
        Writer.WritePingAck(opaque);
    }

    private void OnGoAway(in Http2FrameHeader header)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "GOAWAY on a stream");
        }

        // The client opens no more streams; the connection ends when the ones open finish.
        _clientGoAway = true;
    }

    private void OnWindowUpdate(in Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "WINDOW_UPDATE not 4 bytes long");
        }

        Span<byte> bytes = stackalloc byte[4];
        payload.CopyTo(bytes);
        var increment = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFF_FFFF);
        if (header.StreamId == 0)
        {
            if (increment == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE of 0 on the connection");
            }

            if (!Writer.AddConnectionWindow(increment))
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "WINDOW_UPDATE overflows the connection window");
            }

            return;
        }

        if (header.StreamId > _lastStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"WINDOW_UPDATE on idle stream {header.StreamId}");
        }

        if (increment == 0)
        {
            throw new Http2StreamException(header.StreamId, Http2ErrorCode.ProtocolError, "WINDOW_UPDATE of 0");
        }

        if (FindStream(header.StreamId) is { } stream && !Writer.AdjustStreamWindow(stream, increment))
        {
            throw new Http2StreamException(header.StreamId, Http2ErrorCode.FlowControlError, "WINDOW_UPDATE overflows the stream window");
        }
    }

    // ---------------------------------------------------------------- streams

    private void RecycleCompletedStreams()
    {
        while (_completedStreams.TryDequeue(out var stream))
        {
            // Body bytes that arrived and were never read go back to the connection's window.
            var unread = stream.UnreadBodyBytes;
            if (unread > 0)
            {
                GiveBackConnectionWindow(unread);
            }

            ReturnStream(stream);
        }
    }

    private Http2Stream? FindStream(int streamId)
    {
        lock (_streams)
        {
            return _streams.GetValueOrDefault(streamId);
        }
    }

    private Http2Stream RentStream()
    {
        lock (_pool)
        {
            if (_pool.TryPop(out var stream))
            {
                return stream;
            }
        }

        var created = new Http2Stream(this);
        created.Recycle();
        return created;
    }

    private void ReturnStream(Http2Stream stream)
    {
        stream.Recycle();
        lock (_pool)
        {
            if (_pool.Count < MaxPooledStreams)
            {
                _pool.Push(stream);
            }
        }
    }

    private void ResetStream(int streamId, Http2ErrorCode code)
    {
        RememberReset(streamId);
        if (FindStream(streamId) is { } stream)
        {
            stream.Reset(code);
        }
        else
        {
            Writer.WriteRstStream(streamId, code);
        }
    }

    private void RememberReset(int streamId)
    {
        lock (_recentlyReset)
        {
            _recentlyReset[_recentlyResetNext] = streamId;
            _recentlyResetNext = (_recentlyResetNext + 1) % _recentlyReset.Length;
        }
    }

    private bool WasRecentlyReset(int streamId)
    {
        lock (_recentlyReset)
        {
            return Array.IndexOf(_recentlyReset, streamId) >= 0;
        }
    }

    /// <summary>A stream's handler finished and its response is sent (or it was reset). Runs on the handler's thread.</summary>
    internal void OnStreamCompleted(Http2Stream stream)
    {
        int active;
        lock (_streams)
        {
            _streams.Remove(stream.StreamId);
            active = --_activeStreams;
        }

        if (stream.IsReset)
        {
            RememberReset(stream.StreamId);
        }

        // Recycled by the read loop, the only thread that could still be handing it a frame.
        _completedStreams.Enqueue(stream);
        if (active == 0)
        {
            _idleSince = Environment.TickCount64;
            if (_goAwaySent || _clientGoAway || _closeReason is not null)
            {
                _input.CancelPendingRead();
            }

            Volatile.Read(ref _streamsDrained)?.TrySetResult();
        }

        _ = Writer.FlushAsync();
    }

    internal void OnRequestBodyConsumed(Http2Stream stream, int bytes, int streamCreditDue)
    {
        if (streamCreditDue >= _limits.InitialStreamWindowSize / 2 && !stream.RequestEnded)
        {
            Writer.WriteWindowUpdate(stream.StreamId, streamCreditDue);
            stream.OnWindowUpdateSent(streamCreditDue);
        }

        GiveBackConnectionWindow(bytes);
        _ = Writer.FlushAsync();
    }

    private void GiveBackConnectionWindow(int bytes)
    {
        lock (_windowLock)
        {
            _connectionCreditDue += bytes;
            if (_connectionCreditDue < _limits.InitialConnectionWindowSize / 2)
            {
                return;
            }

            Writer.WriteWindowUpdate(0, _connectionCreditDue);
            Interlocked.Add(ref _receiveWindow, _connectionCreditDue);
            _connectionCreditDue = 0;
        }
    }

    private void TakeControlToken()
    {
        if (!_controlFrames.TryTake())
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, "too many frames that carry no request (SETTINGS, PING, PRIORITY, empty DATA)");
        }
    }

    private async Task EndStreamsAsync()
    {
        Http2Stream[] open;
        lock (_streams)
        {
            if (_activeStreams == 0)
            {
                return;
            }

            _streamsDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open = [.. _streams.Values];
        }

        var closed = new IOException("The HTTP/2 connection closed.");
        foreach (var stream in open)
        {
            stream.Abort(closed);
        }

        // Handlers observe RequestAborted and finish; the transport stays until they have.
        await _streamsDrained.Task.ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- shutdown and deadlines

    /// <summary>Server shutdown: GOAWAY(NO_ERROR) now, the open streams finish, then the connection closes.</summary>
    private void RequestGoAway()
    {
        _goAwayRequested = true;
        _input.CancelPendingRead();
    }

    private void SendGoAway(Http2ErrorCode code)
    {
        _goAwaySent = true;
        Writer.WriteGoAway(_lastStreamId, code);
    }

    /// <summary>Called about once a second by <see cref="Http2Deadlines"/>.</summary>
    internal void CheckDeadlines(long now)
    {
        if (_closeReason is not null)
        {
            return;
        }

        if (Writer.StalledSince is var stalled and not 0 && now - stalled > (long)_limits.SendTimeout.TotalMilliseconds)
        {
            // The client stopped reading: nothing can be sent to it, not even GOAWAY. The transport goes.
            _closeReason = "the client read nothing within the send timeout";
            LogClosed(_logger, ConnectionId, _closeReason);
            _context.Abort(new ConnectionAbortedException(_closeReason));
            return;
        }

        string? reason = null;
        if (!_prefaceReceived && now - _startedAt > (long)_limits.HeadersTimeout.TotalMilliseconds)
        {
            reason = "no connection preface within the headers timeout";
        }
        else if (_headerBlockStreamId != 0 && now - _headerBlockStartedAt > (long)_limits.HeadersTimeout.TotalMilliseconds)
        {
            reason = "a header block unfinished within the headers timeout";
        }
        else if (Volatile.Read(ref _activeStreams) == 0 && _headerBlockStreamId == 0 && now - _idleSince > (long)_limits.KeepAliveTimeout.TotalMilliseconds)
        {
            reason = "idle for the keep-alive timeout";
        }

        if (reason is not null)
        {
            _closeReason = reason;
            _input.CancelPendingRead();
        }
    }

    internal void LogHandlerFailure(int streamId, Exception exception) => LogHandlerFailed(_logger, ConnectionId, streamId, exception);

    [LoggerMessage(1, LogLevel.Information, "HTTP/2 connection {ConnectionId} closed: {Code}: {Reason}")]
    private static partial void LogConnectionError(ILogger logger, string connectionId, string code, string reason);

    [LoggerMessage(2, LogLevel.Debug, "HTTP/2 connection {ConnectionId} stream {StreamId} reset: {Code}: {Reason}")]
    private static partial void LogStreamError(ILogger logger, string connectionId, int streamId, Http2ErrorCode code, string reason);

    [LoggerMessage(3, LogLevel.Debug, "HTTP/2 connection {ConnectionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(5, LogLevel.Error, "HTTP/2 connection {ConnectionId} failed")]
    private static partial void LogConnectionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "HTTP/2 connection {ConnectionId} stream {StreamId}: the request handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, string connectionId, int streamId, Exception exception);

    /// <summary>Decodes header blocks nobody will use (refused or ignored streams), to keep HPACK in step.</summary>
    private sealed class DiscardingSink : IHpackHeaderSink
    {
        public static readonly DiscardingSink Instance = new();

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
        }
    }
}
