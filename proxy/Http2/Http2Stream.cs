using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http2.Hpack;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// One request and its response. Reused by its connection after it finishes: the HttpContext, header
/// collections and buffers are reset, not reallocated. The read loop decodes the request head into it
/// (it is the HPACK sink), runs the handler on the read loop's own thread, and feeds it DATA; the
/// handler's writes come back through <see cref="Http2ResponseBody"/>.
/// </summary>
internal sealed partial class Http2Stream : IHpackHeaderSink
{
    private static readonly SearchValues<byte> MethodChars = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);
    private static readonly HeaderDictionary NoHeaders = new() { IsReadOnly = true };

    private readonly Http2Connection _connection;
    private readonly DefaultHttpContext _httpContext;
    private readonly Http2RequestHeaders _requestHeaders = new();
    private readonly HeaderDictionary _responseHeaders = new();
    private readonly Http2ResponseBody _responseBody;
    private readonly Http2RequestBody _requestBody;
    private HeaderDictionary? _responseTrailers;
    private Pipe? _bodyPipe;
    private CancellationTokenSource? _abortSource;
    private TaskCompletionSource? _windowSignal;
    private List<(Func<object, Task> Callback, object State)>? _onStarting;
    private List<(Func<object, Task> Callback, object State)>? _onCompleted;

    // Request head, as decoded.
    private string? _method;
    private string? _scheme;
    private string? _authority;
    private string _path = string.Empty;
    private string _queryString = string.Empty;
    private string _rawTarget = string.Empty;
    private string? _malformed;
    private bool _regularFieldSeen;
    private bool _asteriskTarget;
    private bool _decodingTrailers;
    private bool _expectContinue;
    private long _declaredRequestLength;
    private long _receivedRequestLength;

    // Request side state.
    private bool _requestEnded;
    private bool _bodyReaderCompleted;
    private bool _hasBody;
    private bool _bodyWriterCompleted;
    private readonly Lock _bodyWriterLock = new();
    private int _receiveWindow;
    private int _unacknowledgedBytes;
    private long _pipedBytes;
    private long _consumedBytes;

    // Response side state.
    private int _statusCode;
    private string? _reasonPhrase;
    private bool _started;
    private bool _headersSent;
    private bool _endStreamSent;
    private bool _responseHasNoBody;
    private long _declaredResponseLength;
    private long _responseBytesSent;
    private volatile bool _reset;
    private string? _traceIdentifier;
    private int _featureRevision;

    public Http2Stream(Http2Connection connection)
    {
        _connection = connection;
        _responseBody = new Http2ResponseBody(this);
        _requestBody = new Http2RequestBody(this);
        _httpContext = new DefaultHttpContext(this);
    }

    public int StreamId { get; private set; }

    /// <summary>Bytes the client lets this stream send; guarded by the frame writer's lock. May go negative (SETTINGS).</summary>
    public long SendWindow { get; set; }

    /// <summary>Bytes of the frames sent for this response so far; written under the frame writer's lock.</summary>
    public long ResponseWireBytes { get; set; }

    /// <summary>Bytes of the frames received for this request (head, DATA, trailers); read loop only.</summary>
    public long RequestWireBytes { get; private set; }

    /// <summary>A header block of this stream arrived in frames of these many bytes.</summary>
    internal void AddRequestWireBytes(long bytes) => RequestWireBytes += bytes;

    /// <summary>The client reset the stream, or the server did.</summary>
    public bool IsReset => _reset;

    /// <summary>The client sent END_STREAM (or the stream was reset): no more DATA is expected.</summary>
    public bool RequestEnded => _requestEnded;

    public HttpContext Context => _httpContext;

    internal Http2Connection Connection => _connection;

    public void Initialize(int streamId, long sendWindow, int receiveWindow)
    {
        StreamId = streamId;
        SendWindow = sendWindow;
        _receiveWindow = receiveWindow;
        _featureRevision++;
    }

    // ---------------------------------------------------------------- request head (HPACK sink)

    public void BeginTrailers() => _decodingTrailers = true;

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_malformed is not null)
        {
            return;
        }

        if (_decodingTrailers)
        {
            // Trailers carry no pseudo-header fields; they are checked and dropped (backends get none over HTTP/1.1).
            if (name.IsEmpty || name[0] == (byte)':' || !Http2FieldValidation.IsValidName(name) || !Http2FieldValidation.IsValidValue(value))
            {
                _malformed = "invalid field in request trailers";
            }

            return;
        }

        if (!name.IsEmpty && name[0] == (byte)':')
        {
            OnPseudoHeader(name, value);
            return;
        }

        _regularFieldSeen = true;
        if (!Http2FieldValidation.IsValidName(name))
        {
            _malformed = "invalid field name";
            return;
        }

        if (!Http2FieldValidation.IsValidValue(value))
        {
            _malformed = "invalid field value";
            return;
        }

        if (Http2FieldValidation.IsConnectionSpecific(name))
        {
            _malformed = "connection-specific field";
            return;
        }

        var strings = _connection.Strings;
        var nameString = KnownHeaderNames.Find(name) ?? strings.Get(name);
        if (ReferenceEquals(nameString, KnownHeaderNames.Te) && !Http2FieldValidation.IsValidTeValue(value))
        {
            _malformed = "te other than trailers";
            return;
        }

        if (ReferenceEquals(nameString, KnownHeaderNames.ContentLength))
        {
            if (value.IsEmpty || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || value.Length > 18)
            {
                _malformed = "invalid content-length";
                return;
            }

            var length = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            if (_declaredRequestLength >= 0 && _declaredRequestLength != length)
            {
                _malformed = "conflicting content-length";
                return;
            }

            _declaredRequestLength = length;
        }
        else if (ReferenceEquals(nameString, KnownHeaderNames.Host) && !Http2FieldValidation.IsValidAuthority(value))
        {
            _malformed = "invalid host";
            return;
        }
        else if (name.Length == 6 && name.SequenceEqual("expect"u8) && value.Length == 12 && System.Text.Ascii.EqualsIgnoreCase(value, "100-continue"u8))
        {
            _expectContinue = true;
        }

        _requestHeaders.AddField(nameString, strings.Get(value));
    }

    private void OnPseudoHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_regularFieldSeen)
        {
            _malformed = "pseudo-header field after a regular field";
            return;
        }

        if (name.SequenceEqual(":method"u8))
        {
            if (_method is not null)
            {
                _malformed = "duplicate :method";
            }
            else if (value.IsEmpty || value.IndexOfAnyExcept(MethodChars) >= 0)
            {
                _malformed = "invalid :method";
            }
            else
            {
                _method = MethodString(value);
            }
        }
        else if (name.SequenceEqual(":path"u8))
        {
            if (_rawTarget.Length != 0 || _asteriskTarget)
            {
                _malformed = "duplicate :path";
            }
            else if (value.Length == 1 && value[0] == (byte)'*')
            {
                _asteriskTarget = true;
            }
            else if (!Http2FieldValidation.IsValidPath(value) || !Http2RequestTarget.TryParse(value, out _path, out _queryString))
            {
                _malformed = "invalid :path";
            }
            else
            {
                _rawTarget = _connection.Strings.Get(value);
            }
        }
        else if (name.SequenceEqual(":scheme"u8))
        {
            if (_scheme is not null)
            {
                _malformed = "duplicate :scheme";
            }
            else if (value.SequenceEqual("https"u8))
            {
                _scheme = "https";
            }
            else if (value.SequenceEqual("http"u8))
            {
                _scheme = "http";
            }
            else
            {
                _malformed = "unsupported :scheme";
            }
        }
        else if (name.SequenceEqual(":authority"u8))
        {
            if (_authority is not null)
            {
                _malformed = "duplicate :authority";
            }
            else if (!Http2FieldValidation.IsValidAuthority(value))
            {
                _malformed = "invalid :authority";
            }
            else
            {
                _authority = _connection.Strings.Get(value);
            }
        }
        else
        {
            _malformed = "unknown or response pseudo-header field";
        }
    }

    /// <summary>
    /// After the head's last field: null when the request may be handled, else why it is malformed
    /// (the stream is reset with PROTOCOL_ERROR). <paramref name="status"/> is set instead for a
    /// well-formed request the server answers itself.
    /// </summary>
    public string? CompleteHead(bool endStream, bool headerListTooLarge, out int status)
    {
        status = 0;
        if (_malformed is not null)
        {
            return _malformed;
        }

        if (_method is null)
        {
            return "missing :method";
        }

        if (ReferenceEquals(_method, HttpMethods.Connect))
        {
            // Tunnels (and RFC 8441's extended CONNECT) are not offered.
            status = StatusCodes.Status405MethodNotAllowed;
            return null;
        }

        if (_scheme is null)
        {
            return "missing :scheme";
        }

        if (_asteriskTarget)
        {
            if (!ReferenceEquals(_method, HttpMethods.Options))
            {
                return "'*' target on a method other than OPTIONS";
            }

            _rawTarget = "*";
        }
        else if (_rawTarget.Length == 0)
        {
            return "missing or empty :path";
        }

        _requestHeaders.JoinCookies();
        var host = _requestHeaders[KnownHeaderNames.Host];
        if (_authority is not null)
        {
            if (host.Count == 0)
            {
                _requestHeaders.AddField(KnownHeaderNames.Host, _authority);
            }
            else if (host.Count > 1 || !string.Equals(host[0], _authority, StringComparison.OrdinalIgnoreCase))
            {
                return "host differs from :authority";
            }
        }
        else if (host.Count > 1)
        {
            return "more than one host";
        }

        if (endStream && _declaredRequestLength > 0)
        {
            return "content-length without a body";
        }

        if (headerListTooLarge)
        {
            status = StatusCodes.Status431RequestHeaderFieldsTooLarge;
            return null;
        }

        _requestEnded = endStream;
        _statusCode = StatusCodes.Status200OK;
        _responseHasNoBody = ReferenceEquals(_method, HttpMethods.Head);
        return null;
    }

    /// <summary>A trailing HEADERS (END_STREAM set by the caller's check) was decoded: null, or why it is malformed.</summary>
    public string? CompleteTrailers()
    {
        _decodingTrailers = false;
        return _malformed;
    }

    private static string MethodString(ReadOnlySpan<byte> value)
        => value switch
        {
            _ when value.SequenceEqual("GET"u8) => HttpMethods.Get,
            _ when value.SequenceEqual("POST"u8) => HttpMethods.Post,
            _ when value.SequenceEqual("HEAD"u8) => HttpMethods.Head,
            _ when value.SequenceEqual("PUT"u8) => HttpMethods.Put,
            _ when value.SequenceEqual("DELETE"u8) => HttpMethods.Delete,
            _ when value.SequenceEqual("OPTIONS"u8) => HttpMethods.Options,
            _ when value.SequenceEqual("PATCH"u8) => HttpMethods.Patch,
            _ when value.SequenceEqual("CONNECT"u8) => HttpMethods.Connect,
            _ when value.SequenceEqual("TRACE"u8) => HttpMethods.Trace,
            _ => System.Text.Encoding.ASCII.GetString(value),
        };

    // ---------------------------------------------------------------- request body

    /// <summary>The request head had no END_STREAM: DATA frames follow (possibly none before END_STREAM).</summary>
    public bool CanHaveBody => _hasBody;

    internal bool ExpectsContinue
    {
        get
        {
            var expect = _expectContinue && _receivedRequestLength == 0;
            _expectContinue = false;
            return expect;
        }
    }

    /// <summary>The pipe DATA goes to; null for a request without a body (the pipe object is kept for reuse).</summary>
    internal Pipe? BodyPipe => _hasBody ? _bodyPipe : null;

    /// <summary>The request has a body: DATA frames will be written to this pipe.</summary>
    public void OpenBody()
    {
        _hasBody = true;
        _bodyPipe ??= new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            useSynchronizationContext: false));
    }

    /// <summary>
    /// A DATA frame's payload (padding removed; <paramref name="frameLength"/> is the whole frame for flow
    /// control). Returns bytes to give back to the connection window at once (data nobody will read).
    /// Throws <see cref="Http2StreamException"/> for a stream error.
    /// </summary>
    public int OnData(ReadOnlySequence<byte> data, int frameLength, bool endStream)
    {
        RequestWireBytes += Http2FrameHeader.Size + frameLength;
        if (Interlocked.Add(ref _receiveWindow, -frameLength) < 0)
        {
            throw new Http2StreamException(StreamId, Http2ErrorCode.FlowControlError, "DATA beyond the stream's flow-control window");
        }

        _receivedRequestLength += data.Length;
        if (_declaredRequestLength >= 0 && (_receivedRequestLength > _declaredRequestLength || (endStream && _receivedRequestLength != _declaredRequestLength)))
        {
            throw new Http2StreamException(StreamId, Http2ErrorCode.ProtocolError, "DATA length differs from content-length");
        }

        // Padding is never read by anyone: it goes back to the connection window now (the returned credit),
        // and is due to the client's view of the stream window like consumed data (below).
        var padding = frameLength - (int)data.Length;
        var credit = padding;
        var localCredit = 0;
        var pipe = BodyPipe!;
        lock (_bodyWriterLock)
        {
            if (_bodyReaderCompleted || _bodyWriterCompleted)
            {
                credit += (int)data.Length;
                localCredit = frameLength;
                padding = 0;
            }
            else if (!data.IsEmpty)
            {
                foreach (var segment in data)
                {
                    pipe.Writer.Write(segment.Span);
                }

                _pipedBytes += data.Length;

                // Never pauses (no threshold); the reader's continuation runs here, inline.
                _ = pipe.Writer.FlushAsync();
            }

            if (endStream)
            {
                _requestEnded = true;
                if (!_bodyWriterCompleted)
                {
                    _bodyWriterCompleted = true;
                    pipe.Writer.Complete();
                }
            }
        }

        if (localCredit > 0 || (endStream && padding > 0))
        {
            // Nobody reads this stream any more (or it just ended): no WINDOW_UPDATE, the window is only ours.
            Interlocked.Add(ref _receiveWindow, localCredit > 0 ? localCredit : padding);
        }
        else if (padding > 0)
        {
            // The client counted the padding against its stream window: it comes back with a WINDOW_UPDATE.
            _connection.OnRequestBodyConsumed(this, 0, Interlocked.Add(ref _unacknowledgedBytes, padding));
        }

        return credit;
    }

    /// <summary>The application consumed request body bytes: time for WINDOW_UPDATEs once half a window is due.</summary>
    internal void OnBodyConsumed(int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        Interlocked.Add(ref _consumedBytes, bytes);
        var due = Interlocked.Add(ref _unacknowledgedBytes, bytes);
        _connection.OnRequestBodyConsumed(this, bytes, due);
    }

    /// <summary>Called by the connection after it sent a WINDOW_UPDATE for this stream.</summary>
    internal void OnWindowUpdateSent(int increment)
    {
        Interlocked.Add(ref _unacknowledgedBytes, -increment);
        Interlocked.Add(ref _receiveWindow, increment);
    }

    /// <summary>Body bytes received but never read: they go back to the connection's window when the stream ends.</summary>
    internal int UnreadBodyBytes => (int)Math.Max(0, Volatile.Read(ref _pipedBytes) - Interlocked.Read(ref _consumedBytes));

    internal void OnBodyReaderCompleted()
    {
        _bodyReaderCompleted = true;
    }

    // ---------------------------------------------------------------- execution

    /// <summary>Runs the handler on this thread; whatever it leaves pending finishes on its own continuations.</summary>
    public void Execute(RequestHandler handler)
    {
        ValueTask task;
        try
        {
            task = handler(_httpContext);
        }
        catch (Exception ex)
        {
            task = ValueTask.FromException(ex);
        }

        if (task.IsCompletedSuccessfully)
        {
            // Read once either way: a pending handler's ValueTask is a pooled box.
            task.GetAwaiter().GetResult();
            var completion = CompleteResponseAsync(null);
            if (!completion.IsCompleted)
            {
                _ = completion.AsTask();
            }

            return;
        }

        _ = AwaitHandlerAsync(task);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitHandlerAsync(ValueTask handler)
    {
        Exception? failure = null;
        try
        {
            await handler.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        await CompleteResponseAsync(failure).ConfigureAwait(false);
    }

    private async ValueTask CompleteResponseAsync(Exception? failure)
    {
        try
        {
            if (failure is not null)
            {
                _connection.LogHandlerFailure(StreamId, failure);
                if (!_started && !_reset)
                {
                    _responseHeaders.Clear();
                    _statusCode = StatusCodes.Status500InternalServerError;
                    _responseBody.Discard();
                }
                else
                {
                    Reset(Http2ErrorCode.InternalError);
                }
            }

            if (!_reset && !_endStreamSent)
            {
                if (!_started)
                {
                    await StartAsync().ConfigureAwait(false);
                }

                await FlushResponseAsync(final: true).ConfigureAwait(false);
            }

            if (!_reset && !_requestEnded)
            {
                // The response is complete; the client need not send the rest of its body (RFC 9113 8.1).
                Reset(Http2ErrorCode.NoError);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            if (!_reset)
            {
                Reset(Http2ErrorCode.InternalError);
            }
        }
        finally
        {
            await RunOnCompletedAsync().ConfigureAwait(false);
            _connection.OnStreamCompleted(this);
        }
    }

    /// <summary>The server resets the stream: RST_STREAM goes out, the request is aborted.</summary>
    public void Reset(Http2ErrorCode code)
    {
        if (_reset)
        {
            return;
        }

        _connection.Writer.WriteRstStream(StreamId, code);
        _ = _connection.Writer.FlushAsync();
        Abort(new IOException($"The HTTP/2 stream was reset by the server ({code})."));
    }

    /// <summary>The client reset the stream, or the connection is going away: the handler sees RequestAborted.</summary>
    public void Abort(Exception reason)
    {
        if (_reset)
        {
            return;
        }

        _reset = true;
        Interlocked.MemoryBarrier();
        _requestEnded = true;
        if (_hasBody)
        {
            // The read loop may be writing DATA into the pipe on its own thread right now.
            lock (_bodyWriterLock)
            {
                if (!_bodyWriterCompleted)
                {
                    _bodyWriterCompleted = true;
                    _bodyPipe!.Writer.Complete(reason);
                }
            }
        }

        Interlocked.Exchange(ref _windowSignal, null)?.TrySetResult();
        try
        {
            Volatile.Read(ref _abortSource)?.Cancel();
        }
        catch (AggregateException)
        {
            // A callback's failure is the callback's; the stream is aborted either way.
        }
    }

    internal void OnWindowAvailable() => Interlocked.Exchange(ref _windowSignal, null)?.TrySetResult();

    /// <summary>Ready for the next request on this connection.</summary>
    public void Recycle()
    {
        _httpContext.Uninitialize();
        _requestHeaders.Reset();
        _responseHeaders.IsReadOnly = false;
        _responseHeaders.Clear();
        if (_responseTrailers is not null)
        {
            _responseTrailers.IsReadOnly = false;
            _responseTrailers.Clear();
        }

        _responseBody.Reset();
        _requestBody.Reset();
        if (_bodyPipe is not null)
        {
            _bodyPipe.Reader.Complete();
            _bodyPipe.Writer.Complete();
            _bodyPipe.Reset();
        }

        if (_abortSource is not null && !_abortSource.TryReset())
        {
            _abortSource.Dispose();
            _abortSource = null;
        }

        _windowSignal = null;
        _onStarting?.Clear();
        _onCompleted?.Clear();
        _overrides?.Clear();
        _method = null;
        _scheme = null;
        _authority = null;
        _path = string.Empty;
        _pathBase = string.Empty;
        _queryString = string.Empty;

        // A body stream the application set is its request's, not the next one's.
        _requestStream = null;
        _rawTarget = string.Empty;
        _malformed = null;
        _regularFieldSeen = false;
        _asteriskTarget = false;
        _decodingTrailers = false;
        _expectContinue = false;
        _declaredRequestLength = -1;
        _receivedRequestLength = 0;
        _requestEnded = false;
        _bodyReaderCompleted = false;
        _hasBody = false;
        _bodyWriterCompleted = false;
        _unacknowledgedBytes = 0;
        _pipedBytes = 0;
        _consumedBytes = 0;
        _statusCode = 0;
        _reasonPhrase = null;
        _started = false;
        _headersSent = false;
        _endStreamSent = false;
        _responseHasNoBody = false;
        _declaredResponseLength = -1;
        _responseBytesSent = 0;
        _reset = false;
        _traceIdentifier = null;
        ResponseWireBytes = 0;
        RequestWireBytes = 0;
        _featureRevision++;
        _httpContext.Initialize(this);
    }

    // ---------------------------------------------------------------- response

    private void StartSync()
    {
        if (_started)
        {
            return;
        }

        if (_onStarting is { Count: > 0 })
        {
            // GetMemory cannot wait; OnStarting callbacks here are short and synchronous in practice.
            RunOnStartingAsync().AsTask().GetAwaiter().GetResult();
        }

        MarkStarted();
    }

    private async ValueTask StartAsync()
    {
        if (_started)
        {
            return;
        }

        if (_onStarting is { Count: > 0 })
        {
            await RunOnStartingAsync().ConfigureAwait(false);
        }

        MarkStarted();
    }

    private void MarkStarted()
    {
        _started = true;
        if (_statusCode is 204 or 304 || (_statusCode < 200))
        {
            _responseHasNoBody = true;
        }

        _declaredResponseLength = _responseHeaders.ContentLength ?? -1;
        _responseHeaders.IsReadOnly = true;
    }

    private async ValueTask RunOnStartingAsync()
    {
        var callbacks = _onStarting!;
        for (var i = callbacks.Count - 1; i >= 0; i--)
        {
            var (callback, state) = callbacks[i];
            await callback(state).ConfigureAwait(false);
        }

        callbacks.Clear();
    }

    private async ValueTask RunOnCompletedAsync()
    {
        if (_onCompleted is not { Count: > 0 } callbacks)
        {
            return;
        }

        for (var i = callbacks.Count - 1; i >= 0; i--)
        {
            var (callback, state) = callbacks[i];
            try
            {
                await callback(state).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _connection.LogHandlerFailure(StreamId, ex);
            }
        }

        callbacks.Clear();
    }

    /// <summary>The response body writer needs the response started (headers fixed) before it hands out memory.</summary>
    internal void EnsureStarted() => StartSync();

    internal void CheckResponseLength(long total)
    {
        if (_declaredResponseLength >= 0 && total > _declaredResponseLength && !_responseHasNoBody)
        {
            throw new InvalidOperationException($"Response Content-Length mismatch: too many bytes written ({total} of {_declaredResponseLength}).");
        }
    }

    /// <summary>
    /// Sends the head (if not yet sent) and what the body writer holds. END_STREAM goes on the last frame
    /// when this is the final flush without trailers, or when the body has reached its Content-Length,
    /// so a whole response usually leaves in one write.
    /// </summary>
    internal ValueTask FlushResponseAsync(bool final)
    {
        if (_reset)
        {
            _responseBody.Discard();
            return final ? default : ValueTask.FromException(new IOException("The HTTP/2 stream was reset."));
        }

        if (_endStreamSent)
        {
            _responseBody.Discard();
            return default;
        }

        StartSync();
        var writer = _connection.Writer;
        if (_responseHasNoBody)
        {
            _responseBody.Discard();
        }

        var data = _responseBody.Buffered;
        var hasTrailers = final && _responseTrailers is { Count: > 0 };
        var reachesLength = !_responseHasNoBody && _declaredResponseLength >= 0 && _responseBytesSent + data.Length == _declaredResponseLength;
        var endStream = (final || reachesLength) && !hasTrailers;

        if (!_headersSent)
        {
            _headersSent = true;
            ResponseWireBytes += writer.WriteHeaders(StreamId, _statusCode, _responseHeaders, endStream && data.IsEmpty);
            if (endStream && data.IsEmpty)
            {
                _endStreamSent = true;
                return writer.FlushAsync();
            }
        }

        if (!data.IsEmpty || (endStream && !_endStreamSent))
        {
            var written = writer.WriteData(this, data.Span, endStream);
            if (written < data.Length)
            {
                return WriteRestAsync(written, endStream, hasTrailers);
            }

            _responseBytesSent += data.Length;
            _responseBody.Discard();
            _endStreamSent |= endStream;
        }

        if (hasTrailers)
        {
            ResponseWireBytes += writer.WriteHeaders(StreamId, 0, _responseTrailers!, endStream: true);
            _endStreamSent = true;
        }

        return writer.FlushAsync();
    }

    private async ValueTask WriteRestAsync(int written, bool endStream, bool hasTrailers)
    {
        var writer = _connection.Writer;
        var data = _responseBody.Buffered;
        try
        {
            // What is written so far may be what the client needs to see before it grants more.
            await writer.FlushAsync().ConfigureAwait(false);
            while (written < data.Length)
            {
                var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _windowSignal, signal);
                var more = writer.WriteData(this, data.Span[written..], endStream);
                written += more;
                if (written == data.Length)
                {
                    break;
                }

                if (more == 0)
                {
                    try
                    {
                        await signal.Task.WaitAsync(_connection.SendTimeout, RequestAborted).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        throw new IOException("The client did not open its flow-control window within the send timeout.");
                    }
                }
                else
                {
                    // The client grants more only once it has seen these bytes.
                    await writer.FlushAsync().ConfigureAwait(false);
                }

                if (_reset)
                {
                    throw new IOException("The HTTP/2 stream was reset.");
                }
            }
        }
        finally
        {
            _windowSignal = null;
            writer.RemoveWindowWaiter(this);
        }

        _responseBytesSent += data.Length;
        _responseBody.Discard();
        _endStreamSent |= endStream;
        if (hasTrailers)
        {
            ResponseWireBytes += writer.WriteHeaders(StreamId, 0, _responseTrailers!, endStream: true);
            _endStreamSent = true;
        }

        await writer.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>HEADERS with :status 100, for a client that sent "expect: 100-continue" once its body is read.</summary>
    internal void SendContinue()
    {
        if (_reset || _started)
        {
            return;
        }

        _connection.Writer.WriteHeaders(StreamId, StatusCodes.Status100Continue, NoHeaders, endStream: false);
        _ = _connection.Writer.FlushAsync();
    }

    /// <summary>A response the server gives itself (431, 405): no handler runs.</summary>
    public void RespondDirectly(int status)
    {
        _statusCode = status;
        _started = true;
        _headersSent = true;
        _endStreamSent = true;
        ResponseWireBytes += _connection.Writer.WriteHeaders(StreamId, status, NoHeaders, endStream: true);
    }
}
