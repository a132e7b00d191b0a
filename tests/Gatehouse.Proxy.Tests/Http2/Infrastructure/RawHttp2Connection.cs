using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>
/// An HTTP/2 client that writes frames exactly as a test asks (malformed ones included) and reads the
/// server's frames one by one. A background loop reads frames into a queue and keeps the send-side flow
/// control windows the server grants; nothing else happens unless a test or helper asks for it.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    /// <summary>How long any single wait for the server may take before the test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<Http2Frame> _incoming = System.Threading.Channels.Channel.CreateUnbounded<Http2Frame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    // Frames a helper read while looking for something else, in arrival order.
    private readonly List<Http2Frame> _held = [];
    private readonly Task _readLoop;

    private readonly Lock _windowLock = new();
    private readonly Dictionary<int, long> _streamSendWindows = [];
    private long _connectionSendWindow = H2.DefaultWindow;
    private long _peerInitialWindow = H2.DefaultWindow;
    private TaskCompletionSource _windowChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RawHttp2Connection(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The server's SETTINGS_MAX_FRAME_SIZE (16,384 until it says otherwise).</summary>
    public int PeerMaxFrameSize { get; private set; } = H2.DefaultMaxFrameSize;

    /// <summary>Bytes written so far, preface included.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Why reading stopped, when it was not a clean end of stream.</summary>
    public Exception? ReadError { get; private set; }

    /// <summary>Cleartext, prior knowledge (h2c): the caller sends the preface.</summary>
    public static async Task<RawHttp2Connection> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Patience);
        return new RawHttp2Connection(tcp, tcp.GetStream());
    }

    /// <summary>TLS with ALPN "h2", any certificate accepted; fails unless h2 was negotiated.</summary>
    public static async Task<RawHttp2Connection> ConnectTlsAsync(int port, string serverName)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Patience);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        }).WaitAsync(Patience);
        if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            throw new InvalidOperationException($"ALPN negotiated '{tls.NegotiatedApplicationProtocol}', not h2");
        }

        return new RawHttp2Connection(tcp, tls);
    }

    /// <summary>Request pseudo-headers in the usual order, then <paramref name="extra"/>.</summary>
    public static List<(string Name, string Value)> Request(string method, string path, string authority = "gatehouse.test", string scheme = "http", params (string, string)[] extra)
        => [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path), .. extra];

    // ---- writing ----

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes).AsTask().WaitAsync(Patience);
            await _stream.FlushAsync();
            BytesSent += bytes.Length;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Like <see cref="SendRawAsync"/>, but false instead of an exception once the server has closed the connection.</summary>
    public async Task<bool> TrySendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await SendRawAsync(bytes);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public Task SendPrefaceAsync() => SendRawAsync(Encoding.ASCII.GetBytes(H2.Preface));

    public Task SendSettingsAsync(params (ushort Id, uint Value)[] settings) => SendRawAsync(Http2FrameWriter.Settings(settings));

    public Task SendSettingsAckAsync() => SendFrameAsync(H2.Settings, H2.Ack, 0, ReadOnlyMemory<byte>.Empty);

    /// <summary>Any frame: the length field is the payload's length, nothing is checked.</summary>
    public Task SendFrameAsync(byte type, byte flags, int streamId, ReadOnlyMemory<byte> payload)
    {
        if (type == H2.Data)
        {
            Consume(streamId, payload.Length);
        }

        return SendRawAsync(Http2FrameWriter.Frame(type, flags, streamId, payload.Span));
    }

    public Task SendHeadersAsync(int streamId, IEnumerable<(string Name, string Value)> fields, bool endStream, bool endHeaders = true, int? padLength = null)
        => SendHeaderBlockAsync(streamId, TestHpackEncoder.Encode(fields), endStream, endHeaders, padLength);

    /// <summary>HEADERS with a pre-encoded (possibly malformed) block.</summary>
    public Task SendHeaderBlockAsync(int streamId, ReadOnlyMemory<byte> block, bool endStream, bool endHeaders = true, int? padLength = null)
        => SendRawAsync(Http2FrameWriter.Headers(streamId, block.Span, endStream, endHeaders, padLength));

    public Task SendContinuationAsync(int streamId, ReadOnlyMemory<byte> block, bool endHeaders)
        => SendRawAsync(Http2FrameWriter.Continuation(streamId, block.Span, endHeaders));

    /// <summary>One DATA frame, sent whether or not the windows allow it (the windows are charged all the same).</summary>
    public Task SendDataAsync(int streamId, ReadOnlyMemory<byte> data, bool endStream, int? padLength = null)
    {
        Consume(streamId, data.Length + (padLength is { } pad ? pad + 1 : 0));
        return SendRawAsync(Http2FrameWriter.Data(streamId, data.Span, endStream, padLength));
    }

    /// <summary>A request body in DATA frames no larger than the server allows, waiting for WINDOW_UPDATEs as a client must.</summary>
    public async Task SendBodyAsync(int streamId, ReadOnlyMemory<byte> body, bool endStream)
    {
        if (body.IsEmpty)
        {
            if (endStream)
            {
                await SendRawAsync(Http2FrameWriter.Data(streamId, [], endStream: true));
            }

            return;
        }

        while (!body.IsEmpty)
        {
            var chunk = await ReserveWindowAsync(streamId, Math.Min(body.Length, PeerMaxFrameSize));
            await SendRawAsync(Http2FrameWriter.Data(streamId, body.Span[..chunk], endStream && chunk == body.Length));
            body = body[chunk..];
        }
    }

    /// <summary>
    /// A request body in padded DATA frames of at most <paramref name="maxFrameLength"/> bytes (pad length
    /// octet and padding included), waiting for WINDOW_UPDATEs as a client must: padding counts against the
    /// windows like data (RFC 9113 6.1).
    /// </summary>
    public async Task SendPaddedBodyAsync(int streamId, ReadOnlyMemory<byte> body, int padLength, int maxFrameLength, bool endStream)
    {
        while (!body.IsEmpty)
        {
            var frame = await ReserveWindowAsync(streamId, Math.Min(body.Length + padLength + 1, Math.Min(maxFrameLength, PeerMaxFrameSize)));
            var pad = Math.Min(padLength, frame - 1);
            var chunk = frame - 1 - pad;
            await SendRawAsync(Http2FrameWriter.Data(streamId, body.Span[..chunk], endStream && chunk == body.Length, pad));
            body = body[chunk..];
        }
    }

    public Task SendRstStreamAsync(int streamId, uint errorCode) => SendRawAsync(Http2FrameWriter.RstStream(streamId, errorCode));

    public Task SendPingAsync(ReadOnlyMemory<byte> data, bool ack = false) => SendRawAsync(Http2FrameWriter.Ping(data.Span, ack));

    public Task SendWindowUpdateAsync(int streamId, uint increment) => SendRawAsync(Http2FrameWriter.WindowUpdate(streamId, increment));

    public Task SendPriorityAsync(int streamId, int dependency, byte weight, bool exclusive = false)
        => SendRawAsync(Http2FrameWriter.Priority(streamId, dependency, weight, exclusive));

    public Task SendGoAwayAsync(int lastStreamId, uint errorCode) => SendRawAsync(Http2FrameWriter.GoAway(lastStreamId, errorCode));

    /// <summary>Preface, the client's SETTINGS, then the server's SETTINGS read and acknowledged.</summary>
    public async Task<Http2Frame> HandshakeAsync(params (ushort Id, uint Value)[] settings)
    {
        await SendPrefaceAsync();
        await SendSettingsAsync(settings);
        var first = await ReadFrameAsync() ?? throw new InvalidOperationException("the server closed the connection instead of sending SETTINGS");
        if (first.Type != H2.Settings || first.HasFlag(H2.Ack))
        {
            throw new InvalidOperationException($"the server's first frame was {first}, not SETTINGS");
        }

        await SendSettingsAckAsync();
        return first;
    }

    // ---- reading ----

    /// <summary>The next frame not yet taken, or null once the server closed the connection; fails after <see cref="Patience"/>.</summary>
    public Task<Http2Frame?> ReadFrameAsync() => NextAsync(static _ => true);

    /// <summary>Reads until GOAWAY, ignoring everything else; fails if the connection closes first or nothing comes in time.</summary>
    public async Task<GoAway> ExpectGoAwayAsync()
    {
        var seen = new List<Http2Frame>();
        while (true)
        {
            var frame = await NextAsync(static _ => true)
                ?? throw new Xunit.Sdk.XunitException($"connection closed without GOAWAY ({ReadError?.Message ?? "clean close"}); frames before: {Describe(seen)}");
            if (frame.Type == H2.GoAway)
            {
                return new GoAway(frame.GoAwayLastStreamId, frame.ErrorCode);
            }

            seen.Add(frame);
        }
    }

    /// <summary>
    /// Reads until RST_STREAM on <paramref name="streamId"/> and returns its code; fails on a response
    /// on that stream, a GOAWAY or a close instead.
    /// </summary>
    public async Task<uint> ExpectRstStreamAsync(int streamId)
    {
        var seen = new List<Http2Frame>();
        while (true)
        {
            var frame = await NextAsync(f => f.StreamId == streamId || f.StreamId == 0)
                ?? throw new Xunit.Sdk.XunitException($"connection closed instead of RST_STREAM on stream {streamId}; frames before: {Describe(seen)}");
            switch (frame.Type)
            {
                case H2.RstStream:
                    return frame.ErrorCode;
                case H2.GoAway:
                    throw new Xunit.Sdk.XunitException($"{frame} instead of RST_STREAM on stream {streamId}");
                case H2.Headers when frame.StreamId == streamId:
                    throw new Xunit.Sdk.XunitException($"a response ({DescribeHeaders(frame)}) instead of RST_STREAM on stream {streamId}");
                case H2.Settings when !frame.HasFlag(H2.Ack):
                    await SendSettingsAckAsync();
                    break;
            }

            seen.Add(frame);
        }
    }

    /// <summary>
    /// For errors the server may send either as RST_STREAM on the stream or as GOAWAY: whichever comes
    /// first, with its code.
    /// </summary>
    public async Task<(bool IsGoAway, uint ErrorCode)> ExpectStreamOrConnectionErrorAsync(int streamId)
    {
        while (true)
        {
            var frame = await NextAsync(f => f.StreamId == streamId || f.StreamId == 0)
                ?? throw new Xunit.Sdk.XunitException($"connection closed without RST_STREAM on stream {streamId} or GOAWAY");
            switch (frame.Type)
            {
                case H2.RstStream:
                    return (false, frame.ErrorCode);
                case H2.GoAway:
                    return (true, frame.ErrorCode);
                case H2.Headers when frame.StreamId == streamId:
                    throw new Xunit.Sdk.XunitException($"a response ({DescribeHeaders(frame)}) instead of an error on stream {streamId}");
                case H2.Settings when !frame.HasFlag(H2.Ack):
                    await SendSettingsAckAsync();
                    break;
            }
        }
    }

    /// <summary>
    /// The response on <paramref name="streamId"/>: headers, body and trailers up to END_STREAM. SETTINGS are
    /// acknowledged; consumed DATA is given back with WINDOW_UPDATEs (stream and connection) unless
    /// <paramref name="sendWindowUpdates"/> is false. Frames of other streams are kept for later reads.
    /// </summary>
    public async Task<Http2Response> ReadResponseAsync(int streamId, bool sendWindowUpdates = true)
    {
        var frames = new List<Http2Frame>();
        List<(string, string)>? headers = null;
        List<(string, string)> trailers = [];
        var body = new MemoryStream();
        var status = 0;
        var block = new List<byte>();
        var blockEndsStream = false;
        while (true)
        {
            var frame = await NextAsync(f => f.StreamId == streamId || f.StreamId == 0)
                ?? throw new Xunit.Sdk.XunitException($"connection closed before stream {streamId} ended ({ReadError?.Message ?? "clean close"}); frames: {Describe(frames)}");
            frames.Add(frame);
            switch (frame.Type)
            {
                case H2.Settings:
                    if (!frame.HasFlag(H2.Ack))
                    {
                        await SendSettingsAckAsync();
                    }

                    continue;
                case H2.GoAway:
                    throw new Xunit.Sdk.XunitException($"{frame} before stream {streamId} ended; frames: {Describe(frames)}");
                case H2.RstStream:
                    throw new Xunit.Sdk.XunitException($"{frame} before stream {streamId} ended; frames: {Describe(frames)}");
                case H2.Headers:
                    block.Clear();
                    block.AddRange(HeaderBlockFragment(frame));
                    blockEndsStream = frame.EndStream;
                    if (!frame.HasFlag(H2.EndHeaders))
                    {
                        continue;
                    }

                    break;
                case H2.Continuation:
                    block.AddRange(frame.Payload);
                    if (!frame.HasFlag(H2.EndHeaders))
                    {
                        continue;
                    }

                    break;
                case H2.Data when frame.StreamId == streamId:
                    if (headers is null)
                    {
                        throw new Xunit.Sdk.XunitException($"DATA before HEADERS on stream {streamId}");
                    }

                    body.Write(frame.DataBytes);
                    if (sendWindowUpdates && frame.Payload.Length > 0)
                    {
                        await SendRawAsync(Http2FrameWriter.Concat([
                            Http2FrameWriter.WindowUpdate(0, (uint)frame.Payload.Length),
                            .. frame.EndStream ? Array.Empty<byte[]>() : [Http2FrameWriter.WindowUpdate(streamId, (uint)frame.Payload.Length)],
                        ]));
                    }

                    if (frame.EndStream)
                    {
                        return new Http2Response(status, headers, body.ToArray(), trailers, frames);
                    }

                    continue;
                default:
                    continue;
            }

            // A complete header block.
            var fields = TestHpackDecoder.Decode(block.ToArray());
            if (headers is null)
            {
                var statusText = fields.FirstOrDefault(f => f.Name == ":status").Value
                    ?? throw new Xunit.Sdk.XunitException($"response on stream {streamId} without :status");
                status = int.Parse(statusText, System.Globalization.CultureInfo.InvariantCulture);
                if (status is >= 100 and < 200)
                {
                    continue; // informational: the final response follows
                }

                headers = fields;
            }
            else
            {
                trailers = fields;
                if (!blockEndsStream)
                {
                    throw new Xunit.Sdk.XunitException($"trailers on stream {streamId} without END_STREAM");
                }
            }

            if (blockEndsStream)
            {
                return new Http2Response(status, headers, body.ToArray(), trailers, frames);
            }
        }
    }

    /// <summary>Reads (and returns) whatever comes until the server closes the connection; fails if it does not within <see cref="Patience"/>.</summary>
    public async Task<List<Http2Frame>> WaitForCloseAsync()
    {
        var frames = new List<Http2Frame>();
        while (await NextAsync(static _ => true) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>Without waiting: whether a frame matching <paramref name="match"/> has arrived (it stays readable).</summary>
    public bool HasReceived(Func<Http2Frame, bool> match)
    {
        while (_incoming.Reader.TryRead(out var frame))
        {
            _held.Add(frame);
        }

        return _held.Any(match);
    }

    /// <summary>Whether the server has closed the connection (every frame it sent has been read off the socket).</summary>
    public bool IsClosedByServer => _readLoop.IsCompleted;

    private async Task<Http2Frame?> NextAsync(Func<Http2Frame, bool> match)
    {
        var index = _held.FindIndex(f => match(f));
        if (index >= 0)
        {
            var held = _held[index];
            _held.RemoveAt(index);
            return held;
        }

        while (true)
        {
            bool more;
            try
            {
                more = await _incoming.Reader.WaitToReadAsync().AsTask().WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"nothing from the server for {Patience.TotalSeconds} s (frames held unread: {Describe(_held)})");
            }

            if (!more)
            {
                return null;
            }

            while (_incoming.Reader.TryRead(out var frame))
            {
                if (match(frame))
                {
                    return frame;
                }

                _held.Add(frame);
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[9];
        try
        {
            while (true)
            {
                var read = await _stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false);
                if (read < header.Length)
                {
                    if (read > 0)
                    {
                        ReadError = new EndOfStreamException($"connection closed inside a frame header ({read} of 9 bytes)");
                    }

                    break;
                }

                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload);
                var frame = new Http2Frame(header[3], header[4], System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue, payload);
                Track(frame);
                _incoming.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or EndOfStreamException or System.Security.Authentication.AuthenticationException)
        {
            ReadError = ex;
        }
        finally
        {
            _incoming.Writer.TryComplete();
            lock (_windowLock)
            {
                _windowChanged.TrySetResult();
            }
        }
    }

    // ---- send-side flow control ----

    private void Track(Http2Frame frame)
    {
        lock (_windowLock)
        {
            if (frame.Type == H2.Settings && !frame.HasFlag(H2.Ack))
            {
                foreach (var (id, value) in frame.Settings())
                {
                    if (id == H2.InitialWindowSize)
                    {
                        var delta = (long)value - _peerInitialWindow;
                        _peerInitialWindow = value;
                        foreach (var stream in _streamSendWindows.Keys.ToList())
                        {
                            _streamSendWindows[stream] += delta;
                        }
                    }
                    else if (id == H2.MaxFrameSize)
                    {
                        PeerMaxFrameSize = (int)value;
                    }
                }
            }
            else if (frame.Type == H2.WindowUpdate && frame.Payload.Length == 4)
            {
                if (frame.StreamId == 0)
                {
                    _connectionSendWindow += frame.WindowIncrement;
                }
                else
                {
                    _streamSendWindows[frame.StreamId] = StreamWindow(frame.StreamId) + frame.WindowIncrement;
                }
            }
            else
            {
                return;
            }

            _windowChanged.TrySetResult();
            _windowChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private long StreamWindow(int streamId) => _streamSendWindows.TryGetValue(streamId, out var window) ? window : _peerInitialWindow;

    private void Consume(int streamId, int length)
    {
        lock (_windowLock)
        {
            _connectionSendWindow -= length;
            _streamSendWindows[streamId] = StreamWindow(streamId) - length;
        }
    }

    /// <summary>Up to <paramref name="wanted"/> bytes of both windows, waiting for the server to open them.</summary>
    private async Task<int> ReserveWindowAsync(int streamId, int wanted)
    {
        while (true)
        {
            Task changed;
            lock (_windowLock)
            {
                var available = (int)Math.Min(wanted, Math.Min(_connectionSendWindow, StreamWindow(streamId)));
                if (available > 0)
                {
                    _connectionSendWindow -= available;
                    _streamSendWindows[streamId] = StreamWindow(streamId) - available;
                    return available;
                }

                if (_readLoop.IsCompleted)
                {
                    throw new Xunit.Sdk.XunitException($"connection closed while waiting for flow control window on stream {streamId}");
                }

                changed = _windowChanged.Task;
            }

            try
            {
                await changed.WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"the server did not open the flow control window of stream {streamId} within {Patience.TotalSeconds} s");
            }
        }
    }

    // ---- descriptions ----

    private static ReadOnlySpan<byte> HeaderBlockFragment(Http2Frame headers)
    {
        var payload = headers.Payload.AsSpan();
        var padding = 0;
        if (headers.HasFlag(H2.Padded))
        {
            padding = payload[0];
            payload = payload[1..];
        }

        if (headers.HasFlag(H2.PriorityFlag))
        {
            payload = payload[5..];
        }

        return payload[..^padding];
    }

    private static string DescribeHeaders(Http2Frame headers)
    {
        try
        {
            return string.Join(", ", TestHpackDecoder.Decode(HeaderBlockFragment(headers)).Select(f => $"{f.Name}: {f.Value}"));
        }
        catch (HpackTestDecodingException ex)
        {
            return $"undecodable: {ex.Message}";
        }
    }

    private static string Describe(IEnumerable<Http2Frame> frames)
    {
        var list = frames.Take(20).Select(f => f.ToString()).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        await _stream.DisposeAsync();
        try
        {
            await _readLoop.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            // The socket is closed; a read that still hangs is not the test's concern.
        }

        _writeLock.Dispose();
    }
}
