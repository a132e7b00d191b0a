using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http2;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// One HTTP/1.x client connection, server side (RFC 9112), served on the thread that reads it: the
/// head is parsed as soon as its last byte arrives and the handler runs right there, so a new
/// connection's first request costs no hop to the thread pool. One request at a time; the connection
/// is the request's feature collection and is reset, not reallocated, between requests.
/// </summary>
internal sealed partial class Http1ServerConnection : IHttpConnectionFeature
{
    // Phases the deadline tick and the read loop agree on with one compare-exchange.
    private const int Idle = 0;          // waiting for a request's first byte (keep-alive timeout)
    private const int ReadingHead = 1;   // part of a head is here (headers timeout)
    private const int Processing = 2;    // a request is being served: no deadline
    private const int Closed = 3;        // the deadline or shutdown ended the connection

    private readonly ConnectionContext _context;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly RequestHandler _handler;
    private readonly Http1Limits _limits;
    private readonly Http1Host _host;
    private readonly ILogger _logger;
    private readonly Http1RequestHead _head = new();
    private readonly Http2FieldStrings _strings = new();
    private readonly DefaultHttpContext _httpContext;
    private readonly Http1ResponseHeaders _responseHeaders = new();
    private readonly Http1RequestBody _requestBody;
    private readonly Http1ResponseBody _responseBody;

    private List<(Func<object, Task> Callback, object State)>? _onStarting;
    private List<(Func<object, Task> Callback, object State)>? _onCompleted;
    private byte[]? _headCopy;

    private readonly Lock _headLock = new();
    private int _phase;
    private long _deadline;
    private long _waitDeadline;
    private string? _waitingFor;
    private volatile bool _closeRequested;
    private long _requestCount;

    // Per request.
    private int _statusCode;
    private string? _reasonPhrase;
    private bool _started;
    private bool _keepAlive;
    private bool _upgraded;
    private bool _continueSent;
    private Http1ResponseFraming _framing;
    private long _declaredResponseLength;
    private string? _traceIdentifier;

    public Http1ServerConnection(ConnectionContext context, RequestHandler handler, Http1Limits limits, Http1Host host, ILogger logger, bool isTls = false)
    {
        Scheme = isTls ? "https" : "http";
        _context = context;
        _input = context.Transport.Input;
        _output = context.Transport.Output;
        _handler = handler;
        _limits = limits;
        _host = host;
        _logger = logger;
        _requestBody = new Http1RequestBody(this, _input, limits);
        _responseBody = new Http1ResponseBody(this, _output);
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

        _httpContext = new DefaultHttpContext(this);

        // Not Idle until the first read sets the keep-alive deadline: a deadline tick between Register and
        // that read would otherwise find Idle with a deadline of 0, long past, and close the new connection.
        _phase = Processing;
    }

    public IFeatureCollection ConnectionFeatures => _context.Features;

    /// <summary>"https" on the proxy's own HTTPS listener, else "http".</summary>
    public string Scheme { get; }

    public string ConnectionId
    {
        get => _context.ConnectionId;
        set => _context.ConnectionId = value;
    }

    public IPAddress? RemoteIpAddress { get; set; }

    public IPAddress? LocalIpAddress { get; set; }

    public int RemotePort { get; set; }

    public int LocalPort { get; set; }

    internal Http1RequestHead Head => _head;

    internal bool ResponseStarted => _started;

    internal Http1ResponseFraming Framing => _framing;

    internal long DeclaredResponseLength => _declaredResponseLength;

    internal bool IsHeadRequest => ReferenceEquals(_head.Method, HttpMethods.Head);

    public async Task ProcessAsync()
    {
        _host.Register(this);
        try
        {
            // Every per-request wait is in this one method, so its state machine is allocated once per
            // connection: a helper awaited per request would box a state machine per request (a pooled
            // builder does not help: each of a loop's many connections holds one while it waits).
            while (BeginHead())
            {
                var scan = default(HeadScan);
                HeadStep step;
                Http1Rejection rejection;
                do
                {
                    var read = _input.ReadAsync();
                    var result = read.IsCompletedSuccessfully ? read.Result : await read.ConfigureAwait(false);
                    step = OnHeadRead(result, ref scan, out rejection);
                }
                while (step == HeadStep.NeedMore);

                if (step == HeadStep.Rejected)
                {
                    await RejectAsync(rejection).ConfigureAwait(false);
                    break;
                }

                if (step == HeadStep.End)
                {
                    break;
                }

                Exception? failure = null;
                try
                {
                    var handler = StartRequest();
                    if (handler.IsCompletedSuccessfully)
                    {
                        // Read once either way: a pending handler's ValueTask is a pooled box.
                        handler.GetAwaiter().GetResult();
                    }
                    else
                    {
                        await handler.ConfigureAwait(false);
                    }
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                var finish = FinishRequestAsync(failure);
                if (!finish.IsCompletedSuccessfully)
                {
                    await finish.ConfigureAwait(false);
                }

                if (!_keepAlive || _closeRequested || _upgraded)
                {
                    break;
                }

                Recycle();
            }

            // What the last response left in the writer goes out before the socket closes.
            await FlushOutputAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException)
        {
            // The client left or the connection was aborted (deadline, shutdown): nothing to answer.
            Log.ConnectionEnded(_logger, ConnectionId, ex.Message);
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(_logger, ConnectionId, ex);
        }
        finally
        {
            Volatile.Write(ref _phase, Closed);
            _host.Unregister(this);
            if (_headCopy is not null)
            {
                ArrayPool<byte>.Shared.Return(_headCopy);
                _headCopy = null;
            }

            // Disposing completes both pipes, and marks the end as ours first: the socket's close then
            // does not report the client leaving (no RequestAborted, no hop to the pool to cancel it).
            await _context.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A body read or a send is waiting on the client: it must progress within <paramref name="timeout"/>.</summary>
    internal void BeginWait(TimeSpan timeout, string what)
    {
        _waitingFor = what;
        Volatile.Write(ref _waitDeadline, Environment.TickCount64 + (long)timeout.TotalMilliseconds);
    }

    internal void EndWait() => Volatile.Write(ref _waitDeadline, 0);

    internal Http1Limits Limits => _limits;

    /// <summary>Awaits a send; one the client holds up past the send timeout ends the connection.</summary>
    internal ValueTask<FlushResult> FlushOutputAsync(CancellationToken cancellationToken = default)
    {
        var flush = _output.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? flush : AwaitFlushAsync(flush);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        BeginWait(_limits.SendTimeout, "the client did not read the response within the send timeout");
        try
        {
            return await flush.ConfigureAwait(false);
        }
        finally
        {
            EndWait();
        }
    }

    /// <summary>Called by the host once a second: a connection past its keep-alive, headers, body or send deadline is closed.</summary>
    internal void CheckDeadline(long now)
    {
        var wait = Volatile.Read(ref _waitDeadline);
        if (wait != 0 && now > wait && Volatile.Read(ref _phase) == Processing)
        {
            Log.DeadlinePassed(_logger, ConnectionId, _waitingFor ?? "timeout");
            _keepAlive = false;
            _context.Abort(new ConnectionAbortedException("Timed out waiting for the client."));
            return;
        }

        var phase = Volatile.Read(ref _phase);
        if (phase is Idle or ReadingHead && now > Volatile.Read(ref _deadline)
            && Interlocked.CompareExchange(ref _phase, Closed, phase) == phase)
        {
            if (phase == Idle)
            {
                Log.DeadlinePassed(_logger, ConnectionId, "keep-alive timeout");
                _context.Abort(new ConnectionAbortedException("Keep-alive timeout."));
                return;
            }

            // As Kestrel: 408, then the connection closes. The read loop is parked in a read and, having
            // lost the compare-exchange, writes nothing more; the cancelled read ends it.
            Log.DeadlinePassed(_logger, ConnectionId, "request headers timeout");
            _host.OnRejected?.Invoke(StatusCodes.Status408RequestTimeout);
            try
            {
                Http1ResponseHeadWriter.WriteRejection(_output, StatusCodes.Status408RequestTimeout);
                var flush = _output.FlushAsync();
                if (!flush.IsCompleted)
                {
                    _ = flush.AsTask();
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // The client is gone already; the read below ends the connection either way.
            }

            _input.CancelPendingRead();
        }
    }

    /// <summary>Shutdown: an idle connection closes now, a busy one after its response (with Connection: close).</summary>
    internal void RequestClose()
    {
        _closeRequested = true;

        // The loop sets Idle with a compare-exchange (a full fence) and then reads _closeRequested; this
        // side writes first and reads second, and needs the fence too, or both could miss the other.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _phase) == Idle && Interlocked.CompareExchange(ref _phase, Closed, Idle) == Idle)
        {
            _context.Abort(new ConnectionAbortedException("The server is shutting down."));
        }
    }

    /// <summary>The request's body cannot be read to a known end: the connection closes after the response.</summary>
    internal void EndAfterResponse() => _keepAlive = false;

    internal void OnBodyRejected(int status) => _host.OnRejected?.Invoke(status);

    internal void Abort(string reason) => _context.Abort(new ConnectionAbortedException(reason));

    // ---------------------------------------------------------------- request head

    /// <summary>Where the read of a head stands between reads.</summary>
    private struct HeadScan
    {
        public long Scanned;
        public bool SawBytes;
    }

    private enum HeadStep
    {
        NeedMore,
        Ready,
        Rejected,
        End,
    }

    /// <summary>Before a request's head: the keep-alive deadline. False when the connection is closing.</summary>
    private bool BeginHead()
    {
        Volatile.Write(ref _deadline, Environment.TickCount64 + (long)_limits.KeepAliveTimeout.TotalMilliseconds);
        return Interlocked.CompareExchange(ref _phase, Idle, Processing) != Closed && !_closeRequested;
    }

    /// <summary>
    /// One read of a head: Ready once it is whole and parsed (the input is past it), Rejected with the
    /// status to answer, End when the connection ends instead (client closed between requests or
    /// part-way through a head, a deadline).
    /// </summary>
    private HeadStep OnHeadRead(in ReadResult result, ref HeadScan scan, out Http1Rejection rejection)
    {
        rejection = default;
        var buffer = result.Buffer;
        if (Volatile.Read(ref _phase) == Closed)
        {
            // The headers timeout answered 408 (or shutdown closed the connection) while this read waited.
            _input.AdvanceTo(buffer.End);
            return HeadStep.End;
        }

        if (buffer.IsEmpty)
        {
            if (result.IsCompleted || result.IsCanceled)
            {
                _input.AdvanceTo(buffer.End);
                return HeadStep.End;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            return HeadStep.NeedMore;
        }

        if (!scan.SawBytes)
        {
            scan.SawBytes = true;
            Volatile.Write(ref _deadline, Environment.TickCount64 + (long)_limits.HeadersTimeout.TotalMilliseconds);
            if (Interlocked.CompareExchange(ref _phase, ReadingHead, Idle) != Idle)
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
                return HeadStep.End;
            }
        }

        switch (Http1HeadParser.FindHeadEnd(buffer, ref scan.Scanned, _limits, out var headLength, out rejection))
        {
            case Http1HeadScan.Complete:
                var head = buffer.Slice(0, headLength);
                var parsed = Parse(head, out rejection);
                _input.AdvanceTo(head.End);
                if (!parsed)
                {
                    return HeadStep.Rejected;
                }

                return Interlocked.CompareExchange(ref _phase, Processing, ReadingHead) == ReadingHead ? HeadStep.Ready : HeadStep.End;

            case Http1HeadScan.Rejected:
                _input.AdvanceTo(buffer.Start, buffer.End);
                return HeadStep.Rejected;

            default:
                if (result.IsCompleted)
                {
                    // The client ended part-way through a head: nothing to answer.
                    _input.AdvanceTo(buffer.End);
                    return HeadStep.End;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                return HeadStep.NeedMore;
        }
    }

    private bool Parse(in ReadOnlySequence<byte> head, out Http1Rejection rejection)
    {
        if (head.IsSingleSegment)
        {
            return Http1HeadParser.TryParse(head.FirstSpan, _head, _strings, _limits, out rejection);
        }

        var length = (int)head.Length;
        if (_headCopy is null || _headCopy.Length < length)
        {
            if (_headCopy is not null)
            {
                ArrayPool<byte>.Shared.Return(_headCopy);
            }

            _headCopy = ArrayPool<byte>.Shared.Rent(length);
        }

        head.CopyTo(_headCopy);
        return Http1HeadParser.TryParse(_headCopy.AsSpan(0, length), _head, _strings, _limits, out rejection);
    }

    /// <summary>A head the server refuses (400, 414, 431, 505): answered without the handler, then the connection closes.</summary>
    private async ValueTask RejectAsync(Http1Rejection rejection)
    {
        Log.RequestRejected(_logger, ConnectionId, rejection.StatusCode, rejection.Reason);
        _host.OnRejected?.Invoke(rejection.StatusCode);
        _keepAlive = false;
        Http1ResponseHeadWriter.WriteRejection(_output, rejection.StatusCode);
        await FlushOutputAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- serving

    /// <summary>Runs the handler on this thread; ProcessAsync awaits what it leaves pending.</summary>
    private ValueTask StartRequest()
    {
        _requestCount++;
        _keepAlive = _head.KeepAlive;
        _requestBody.Start(_head.BodyKind, _head.ContentLength);
        _head.Headers.JoinCookies();
        return _handler(_httpContext);
    }

    /// <summary>After the handler: the end of the response, OnCompleted, and what is left of the request body. Usually synchronous.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FinishRequestAsync(Exception? failure)
    {
        try
        {
            await CompleteResponseAsync(failure).ConfigureAwait(false);
        }
        finally
        {
            if (_onCompleted is { Count: > 0 })
            {
                await RunOnCompletedAsync().ConfigureAwait(false);
            }
        }

        if (!_upgraded && !_requestBody.TryFinish() && !await DrainRequestBodyAsync().ConfigureAwait(false))
        {
            // Unread body bytes cannot be told from the next request's: the connection ends.
            _keepAlive = false;
        }
    }

    /// <summary>
    /// The response went out before the body the client is still sending was read (an early 404, 413,
    /// redirect): it is read and dropped for up to <see cref="Http1Limits.BodyDrainTimeout"/>, as Kestrel
    /// drains it. Closing at once would reset the connection under the client's upload, which can cost
    /// it the response it has not read yet, and would end a connection it may reuse.
    /// </summary>
    private async ValueTask<bool> DrainRequestBodyAsync()
    {
        if (_closeRequested || (_head.ExpectContinue && !_continueSent))
        {
            // Shutting down, or the client was never asked for the body and will not send it.
            return false;
        }

        BeginWait(_limits.BodyDrainTimeout, "the client did not finish sending a request body within the drain timeout");
        try
        {
            return await _requestBody.DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            EndWait();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteResponseAsync(Exception? failure)
    {
        if (failure is not null)
        {
            Log.HandlerFailed(_logger, ConnectionId, failure);
            if (_started)
            {
                // Part of the response is out: the client must not take it for a whole one.
                _keepAlive = false;
                Abort("The application failed after the response started.");
                return;
            }

            _responseHeaders.Clear();

            // As Kestrel: a bad request found by the application (an unreadable body) is answered with its own status.
            _statusCode = failure is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            if (failure is BadHttpRequestException)
            {
                _keepAlive = false;
            }

            _reasonPhrase = null;
            _responseBody.Discard();
        }

        if (_upgraded)
        {
            return;
        }

        if (!_started && _context.ConnectionClosed.IsCancellationRequested)
        {
            // The client ended its side (FIN or reset) and RequestAborted fired before anything was
            // answered: what the handler left (an empty 200, or a 500) would answer a request that was
            // abandoned, and a half-closed client would take it for the real one. Kestrel and nginx send none.
            _keepAlive = false;
            Abort("The client closed the connection before the response.");
            return;
        }

        if (!_started)
        {
            if (_onStarting is { Count: > 0 })
            {
                await RunOnStartingAsync().ConfigureAwait(false);
            }

            // Nothing was written: the response has no body, said with Content-Length: 0 rather than a chunked end.
            WriteHead(endingEmpty: true);
        }

        if (!_responseBody.TryEnd(out var shortBy))
        {
            Log.ResponseTooShort(_logger, ConnectionId, _declaredResponseLength, shortBy);
            _keepAlive = false;
            Abort("The response ended before its Content-Length.");
            return;
        }

        var flush = FlushOutputAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            await flush.ConfigureAwait(false);
        }
    }

    /// <summary>Before the first body byte, and at the end of a response that wrote none.</summary>
    internal void EnsureStarted()
    {
        if (_started)
        {
            return;
        }

        if (_onStarting is { Count: > 0 })
        {
            // GetMemory cannot wait; OnStarting callbacks are short and synchronous in practice.
            RunOnStartingAsync().AsTask().GetAwaiter().GetResult();
        }

        WriteHead(endingEmpty: false);
    }

    internal async ValueTask StartAsync()
    {
        if (_started)
        {
            return;
        }

        if (_onStarting is { Count: > 0 })
        {
            await RunOnStartingAsync().ConfigureAwait(false);
        }

        WriteHead(endingEmpty: false);
    }

    private void WriteHead(bool endingEmpty)
    {
        // With a backend on other threads (HTTP/2, HTTPS), the request body's "100 Continue" can be
        // written while the response starts: the two writes to the output take turns.
        lock (_headLock)
        {
            WriteHeadLocked(endingEmpty);
        }
    }

    private void WriteHeadLocked(bool endingEmpty)
    {
        if (_closeRequested)
        {
            _keepAlive = false;
        }

        var status = _statusCode == 0 ? StatusCodes.Status200OK : _statusCode;
        var noBody = IsHeadRequest || status is < 200 or 204 or 304;
        if (status is < 200 or 204)
        {
            // RFC 9110 8.6 and 6.1: a 1xx or 204 response has no Content-Length or Transfer-Encoding, and a
            // client that believed one (a backend's 204 "Content-Length: 5") would take the next response's
            // first bytes for this one's body. Dropped, as nginx drops them.
            _responseHeaders.Remove(Microsoft.Net.Http.Headers.HeaderNames.ContentLength);
            _responseHeaders.Remove(Microsoft.Net.Http.Headers.HeaderNames.TransferEncoding);
        }

        var declared = _responseHeaders.ContentLength;
        var appChunked = Http1ResponseHeadWriter.HasChunkedTransferEncoding(_responseHeaders);
        var addChunked = false;
        var addContentLengthZero = false;
        if (declared is { } length && !appChunked)
        {
            _declaredResponseLength = length;
            _framing = noBody ? Http1ResponseFraming.None : Http1ResponseFraming.ContentLength;
        }
        else if (noBody)
        {
            _framing = Http1ResponseFraming.None;
        }
        else if (endingEmpty && !appChunked)
        {
            addContentLengthZero = true;
            _declaredResponseLength = 0;
            _framing = Http1ResponseFraming.ContentLength;
        }
        else if (_head.IsHttp11)
        {
            // Transfer-Encoding beats Content-Length: a response that has both is framed by the chunks (RFC 9112 6.3).
            addChunked = !appChunked;
            _framing = Http1ResponseFraming.Chunked;
        }
        else
        {
            // An HTTP/1.0 client knows no chunks: the body ends with the connection.
            _keepAlive = false;
            _framing = Http1ResponseFraming.UntilClose;
        }

        if (Http1ResponseHeadWriter.HasConnectionClose(_responseHeaders))
        {
            _keepAlive = false;
        }

        if (_head.ExpectContinue && !_continueSent && !_requestBody.IsEnded)
        {
            // A final answer to "Expect: 100-continue" before the body was asked for: the client will not
            // send it, so it cannot be skipped and the connection ends; RFC 9110 10.1.1 has the server say so.
            _keepAlive = false;
        }

        Http1ResponseHeadWriter.Write(
            _output,
            status,
            _reasonPhrase,
            _responseHeaders,
            connection: !_keepAlive ? Http1ConnectionHeader.Close : !_head.IsHttp11 ? Http1ConnectionHeader.KeepAlive : Http1ConnectionHeader.None,
            addChunked,
            addContentLengthZero);

        // Only now: a head the writer refused (a field no check caught when it was set) leaves the
        // response unstarted, so the application can still answer otherwise and nothing reached the wire.
        _started = true;
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
        var callbacks = _onCompleted!;
        for (var i = callbacks.Count - 1; i >= 0; i--)
        {
            var (callback, state) = callbacks[i];
            try
            {
                await callback(state).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, ConnectionId, ex);
            }
        }

        callbacks.Clear();
    }

    /// <summary>"HTTP/1.1 100 Continue", once, when the application first reads a body the client holds back for it.</summary>
    internal void SendContinueIfExpected()
    {
        if (_continueSent || !_head.ExpectContinue || _started)
        {
            return;
        }

        lock (_headLock)
        {
            if (_continueSent || _started)
            {
                return;
            }

            _continueSent = true;
            Http1ResponseHeadWriter.WriteContinue(_output);

            // Sent before the lock is left, so the response head cannot be written while this flush commits.
            var flush = _output.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                _ = flush.AsTask();
            }
        }
    }

    private void Recycle()
    {
        _httpContext.Uninitialize();
        _head.Reset();
        _responseHeaders.IsReadOnly = false;
        _responseHeaders.Clear();
        _responseBody.Reset();
        _requestBody.Reset();
        _onStarting?.Clear();
        _onCompleted?.Clear();
        _overrides?.Clear();
        _pathBase = string.Empty;
        _requestStream = null;
        _statusCode = 0;
        _reasonPhrase = null;
        _started = false;
        _continueSent = false;
        _framing = Http1ResponseFraming.None;
        _declaredResponseLength = -1;
        _traceIdentifier = null;
        _featureRevision++;
        _httpContext.Initialize(this);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "HTTP/1.1 connection {ConnectionId} ended: {Reason}")]
        public static partial void ConnectionEnded(ILogger logger, string connectionId, string reason);

        [LoggerMessage(2, LogLevel.Error, "HTTP/1.1 connection {ConnectionId} failed")]
        public static partial void ConnectionFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(3, LogLevel.Debug, "HTTP/1.1 connection {ConnectionId}: request refused with {Status}: {Reason}")]
        public static partial void RequestRejected(ILogger logger, string connectionId, int status, string reason);

        [LoggerMessage(4, LogLevel.Error, "HTTP/1.1 connection {ConnectionId}: the application failed")]
        public static partial void HandlerFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(5, LogLevel.Warning, "HTTP/1.1 connection {ConnectionId}: the response ended {ShortBy} bytes short of its Content-Length {Declared}")]
        public static partial void ResponseTooShort(ILogger logger, string connectionId, long declared, long shortBy);

        [LoggerMessage(6, LogLevel.Debug, "HTTP/1.1 connection {ConnectionId} closed: {Reason}")]
        public static partial void DeadlinePassed(ILogger logger, string connectionId, string reason);
    }
}
