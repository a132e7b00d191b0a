using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Policies;
using Gatehouse.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using static Gatehouse.Proxy.Forwarding.ForwarderLog;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Forwards to plain-HTTP backends over pooled HTTP/1.1 connections of its own (pipes over sockets,
/// no HttpRequestMessage, Uri or header objects), with a strict response parser. Everything else
/// (HTTPS, gRPC, upgrades) goes through <see cref="HttpForwarder"/>. Selected with --upstream-client lean.
/// </summary>
internal sealed partial class LeanHttp1Forwarder : IHttpForwarder, IDisposable
{
    // A backend may send a few interim (1xx) responses before the final one; more is a broken peer.
    private const int MaxInterimResponses = 8;

    private readonly HttpForwarder _fallback;
    private readonly ForwarderOptions _options;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<EndpointState, Http1ConnectionPool> _pools = new();
    private readonly Timer _scavenger;

    private readonly Gatehouse.Proxy.Transport.EpollLoopGroup? _loops;

    public LeanHttp1Forwarder(HttpForwarder fallback, ForwarderOptions options, ILogger<LeanHttp1Forwarder> logger, Gatehouse.Proxy.Transport.EpollLoopGroup? loops = null)
    {
        _loops = loops;
        _fallback = fallback;
        _options = options;
        _logger = logger;

        // Idle connections are also checked when taken; the sweep closes those nobody takes any more.
        var period = options.PooledConnectionIdleTimeout / 2;
        _scavenger = new Timer(static state => ((LeanHttp1Forwarder)state!).CloseIdleConnections(), this, period, period);
    }

    public void Dispose()
    {
        _scavenger.Dispose();
        foreach (var (_, pool) in _pools)
        {
            pool.CloseAll();
        }
    }

    private void CloseIdleConnections()
    {
        foreach (var (_, pool) in _pools)
        {
            pool.CloseExpired();
        }
    }

    private enum Phase
    {
        Connect,
        Send,
        Read,
    }

    public ValueTask<ForwarderError> SendAsync(HttpContext context, ForwardAttempt attempt)
    {
        if (attempt.Client.Protocol != BackendProtocol.Http
            || context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
        {
            return _fallback.SendAsync(context, attempt);
        }

        return ForwardAsync(context, attempt);
    }

    /// <summary>Idle connections pooled for <paramref name="endpoint"/> (for tests and diagnostics).</summary>
    internal int IdleConnections(BackendEndpoint endpoint) => _pools.TryGetValue(endpoint.State, out var pool) ? pool.IdleCount : 0;

    private Http1ConnectionPool PoolFor(BackendEndpoint endpoint)
    {
        if (_pools.TryGetValue(endpoint.State, out var pool))
        {
            return pool;
        }

        _pools.TryAdd(endpoint.State, new Http1ConnectionPool(endpoint.Config, _options.PooledConnectionIdleTimeout, _loops?.Count ?? 1));
        return _pools.TryGetValue(endpoint.State, out pool) ? pool : throw new InvalidOperationException("connection pool vanished");
    }

    // Every connection has a forward waiting on its backend at once: the runtime's pool (one box per
    // thread and core) missed for nearly every request.
    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> ForwardAsync(HttpContext context, ForwardAttempt attempt)
    {
        var requestAborted = context.RequestAborted;
        var timeouts = attempt.Timeouts;
        var pool = PoolFor(attempt.Endpoint);

        // The loop running this request (or the next one in turn, for a request on a pool thread):
        // its connections are rented and a new one is opened on it, so both legs share a thread.
        var loop = _loops?.CurrentOrNext();
        var activity = ActivityCancellation.Rent(requestAborted, timeouts.Read);
        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
        var chunked = canHaveBody && context.Request.ContentLength is null;
        var isHead = HttpMethods.IsHead(context.Request.Method);
        var bodyStarted = false;
        var expectContinue = canHaveBody && IsExpectContinue(context.Request.Headers.Expect);
        var bodyUnsent = false;
        var phase = Phase.Connect;
        Http1Connection? connection = null;
        byte[]? headBytes = null;
        try
        {
            Http1ResponseHead head;
            int headLength;
            var staleRetried = false;
            while (true)
            {
                connection = staleRetried ? null : pool.TryRent(loop?.Index ?? 0);
                if (connection is null)
                {
                    phase = Phase.Connect;
                    activity.Arm(timeouts.Connect);
                    connection = await Http1Connection.ConnectAsync(pool.Endpoint, loop, activity.Token).ConfigureAwait(false);
                }

                try
                {
                    phase = Phase.Send;
                    activity.Arm(timeouts.Send);
                    RequestHeadWriter.Write(context, connection.Writer, pool.Authority, chunked);
                    if (expectContinue)
                    {
                        // The client's body is read (and Kestrel's own 100 sent to it) only once the
                        // backend asks for it, or after a short wait as SocketsHttpHandler does.
                        await FlushAsync(connection.Writer, activity.Token).ConfigureAwait(false);
                        phase = Phase.Read;
                        activity.Arm(timeouts.Read);
                        bodyUnsent = await BackendAnsweredBeforeContinueAsync(connection.Reader, activity, _options.Expect100ContinueTimeout).ConfigureAwait(false);
                        phase = Phase.Send;
                        activity.Arm(timeouts.Send);
                    }

                    if (bodyUnsent)
                    {
                        // The final response came first: the body is never read, the head below is that response.
                    }
                    else if (canHaveBody)
                    {
                        bodyStarted = true;
                        await SendBodyAsync(context, connection.Writer, chunked, activity, timeouts.Send).ConfigureAwait(false);
                    }
                    else
                    {
                        await FlushAsync(connection.Writer, activity.Token).ConfigureAwait(false);
                    }

                    phase = Phase.Read;
                    activity.Arm(timeouts.Read);

                    // Awaited here rather than in a helper: this is where every request waits for its
                    // backend, and one state machine instead of two saves a box and a hop per request.
                    var headReader = new HeadReader();
                    while (true)
                    {
                        var result = await connection.Reader.ReadAsync(activity.Token).ConfigureAwait(false);
                        activity.ResetTimeout();
                        if (headReader.TryTake(connection.Reader, result, out head, out headBytes, out headLength))
                        {
                            break;
                        }
                    }

                    break;
                }
                catch (Exception ex) when (connection.Reused && !staleRetried && !bodyStarted && !requestAborted.IsCancellationRequested
                    && ex is IOException or SocketException or BackendClosedException)
                {
                    // The backend closed this keep-alive connection while it sat idle: one more try on a new one, as SocketsHttpHandler does.
                    connection.Dispose();
                    staleRetried = true;
                }
            }

            if (attempt.MayRetry && (attempt.RetryOn & UpstreamPolicy.ConditionFor(head.Status)) != 0 && !bodyStarted)
            {
                LogRetryableStatus(_logger, attempt.Client.Name, attempt.Endpoint.UriPrefix, head.Status);
                connection.Dispose();
                connection = null;
                return ForwarderError.UpstreamStatus;
            }

            var response = context.Response;
            response.StatusCode = head.Status;
            ResponseHeaderCopier.Copy(headBytes.AsSpan(0, headLength), head, response, connection.HeaderStrings);
            ArrayPool<byte>.Shared.Return(headBytes);
            headBytes = null;

            bool reusable;
            try
            {
                reusable = await CopyBodyAsync(context, connection, head, isHead, activity).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or InvalidResponseException or ObjectDisposedException)
            {
                if (!requestAborted.IsCancellationRequested)
                {
                    LogResponseBodyFailed(_logger, context.Request.Path.Value, ex.Message);
                }

                connection.Dispose();
                connection = null;
                if (!response.HasStarted && ex is InvalidResponseException)
                {
                    // Nothing reached the client yet (the first chunk line was already broken): it gets a clean 502.
                    response.Clear();
                    await ErrorResponse.WriteAsync(context, StatusCodes.Status502BadGateway, "bad gateway: invalid response from " + attempt.Client.Name + "\n").ConfigureAwait(false);
                    return ForwarderError.Request;
                }

                // Status and part of the body may be out already: a reset is the only honest end.
                context.Abort();
                return ForwarderError.ResponseBody;
            }

            if (reusable && !head.ConnectionClose && !bodyUnsent)
            {
                pool.Return(connection);
                connection = null;
            }

            return ForwarderError.None;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            connection?.Dispose();
            connection = null;
            return await HandleRequestFailureAsync(context, attempt, ex, phase, bodyStarted).ConfigureAwait(false);
        }
        finally
        {
            connection?.Dispose();
            if (headBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(headBytes);
            }

            activity.Return(reusable: true);
        }
    }

    private static bool IsExpectContinue(Microsoft.Extensions.Primitives.StringValues expect)
        => expect.Count == 1 && expect[0].AsSpan().Trim().Equals("100-continue", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Waits for the backend's reaction to "Expect: 100-continue": false when the body should be sent
    /// (a 100 came, or nothing within <paramref name="wait"/>), true when a final response came first
    /// (left unread in the pipe for <see cref="ReadHeadAsync"/>).
    /// </summary>
    private static async ValueTask<bool> BackendAnsweredBeforeContinueAsync(PipeReader reader, ActivityCancellation activity, TimeSpan wait)
    {
        using var timer = new CancellationTokenSource(wait);
        using var registration = timer.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), reader);
        var interim = 0;
        while (true)
        {
            var result = await reader.ReadAsync(activity.Token).ConfigureAwait(false);
            var buffer = result.Buffer;
            var span = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.Slice(0, Math.Min(buffer.Length, Http1ResponseParser.MaxHeaderBytes + 1)).ToArray();
            if (Http1ResponseParser.TryParse(span, out var head, out var consumed))
            {
                if (head.Status is >= 100 and < 200 && head.Status != 101)
                {
                    reader.AdvanceTo(buffer.GetPosition(consumed));
                    if (head.Status == 100)
                    {
                        return false;
                    }

                    if (++interim > MaxInterimResponses)
                    {
                        throw new InvalidResponseException("too many interim responses");
                    }

                    continue;
                }

                reader.AdvanceTo(buffer.Start);
                return true;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCanceled)
            {
                return false;
            }

            if (result.IsCompleted)
            {
                throw buffer.IsEmpty ? new BackendClosedException() : new InvalidResponseException("connection closed inside the response head");
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask FlushAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        var result = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("backend connection closed while sending the request");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask SendBodyAsync(HttpContext context, PipeWriter backend, bool chunked, ActivityCancellation activity, TimeSpan sendTimeout)
    {
        var source = context.Request.BodyReader;
        var coalesce = backend.CanGetUnflushedBytes;
        ReadResult result = default;
        var pending = false;
        while (true)
        {
            try
            {
                if (!pending)
                {
                    result = await source.ReadAsync(activity.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ClientBodyException(ex);
            }

            pending = false;

            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                if (chunked)
                {
                    var line = backend.GetSpan(20);
                    buffer.Length.TryFormat(line, out var written, "x", System.Globalization.CultureInfo.InvariantCulture);
                    "\r\n"u8.CopyTo(line[written..]);
                    backend.Advance(written + 2);
                }

                foreach (var segment in buffer)
                {
                    backend.Write(segment.Span);
                }

                if (chunked)
                {
                    backend.Write("\r\n"u8);
                }
            }

            source.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                if (chunked)
                {
                    backend.Write("0\r\n\r\n"u8);
                }

                await FlushAsync(backend, activity.Token).ConfigureAwait(false);
                return;
            }

            // What is already here goes out with this in one send: a chunked body is read a chunk at a
            // time, and a flush per chunk made many small uploads a system call per chunk.
            try
            {
                pending = coalesce && backend.UnflushedBytes < MaxCoalescedBodyBytes && source.TryRead(out result);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ClientBodyException(ex);
            }

            if (pending)
            {
                continue;
            }

            activity.Arm(sendTimeout);
            await FlushAsync(backend, activity.Token).ConfigureAwait(false);
        }
    }

    // Body bytes gathered before a flush when more of the body is already buffered.
    private const int MaxCoalescedBodyBytes = 64 * 1024;

    /// <summary>
    /// Finds the final response head (skipping 1xx interim responses) in what the backend sent so far
    /// and copies it into a pooled array. Throws when the response is broken or the backend closed.
    /// </summary>
    private struct HeadReader
    {
        private bool _received;
        private int _interim;

        public bool TryTake(PipeReader reader, in ReadResult result, out Http1ResponseHead head, [NotNullWhen(true)] out byte[]? headBytes, out int headLength)
        {
            var buffer = result.Buffer;
            _received |= !buffer.IsEmpty;
            while (true)
            {
                var bytes = buffer.IsSingleSegment ? null : ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length, Http1ResponseParser.MaxHeaderBytes + 1));
                try
                {
                    var span = bytes is null ? buffer.FirstSpan : bytes.AsSpan(0, (int)Math.Min(buffer.Length, bytes.Length));
                    if (bytes is not null)
                    {
                        buffer.Slice(0, span.Length).CopyTo(bytes);
                    }

                    if (!Http1ResponseParser.TryParse(span, out head, out var consumed))
                    {
                        break;
                    }

                    if (head.Status is >= 100 and < 200)
                    {
                        // Interim answers (100 Continue, 103 Early Hints) are ours to absorb; 101 only follows an upgrade, which is not forwarded here.
                        if (head.Status == 101 || ++_interim > MaxInterimResponses)
                        {
                            throw new InvalidResponseException("unexpected interim response");
                        }

                        buffer = buffer.Slice(consumed);
                        continue;
                    }

                    headBytes = ArrayPool<byte>.Shared.Rent(consumed);
                    span[..consumed].CopyTo(headBytes);
                    headLength = consumed;
                    reader.AdvanceTo(buffer.GetPosition(consumed));
                    return true;
                }
                finally
                {
                    if (bytes is not null)
                    {
                        ArrayPool<byte>.Shared.Return(bytes);
                    }
                }
            }

            if (result.IsCompleted)
            {
                throw _received ? new InvalidResponseException("connection closed inside the response head") : new BackendClosedException();
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            head = default;
            headBytes = null;
            headLength = 0;
            return false;
        }
    }

    /// <summary>Copies the body as framed; true when the connection ended exactly at the end of it and may carry another request.</summary>
    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> CopyBodyAsync(HttpContext context, Http1Connection connection, Http1ResponseHead head, bool isHead, ActivityCancellation activity)
    {
        var source = connection.Reader;
        var destination = context.Response.BodyWriter;
        if (isHead || head.Status is 204 or 304)
        {
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            return NothingBuffered(source);
        }

        if (head.Chunked)
        {
            var decoder = connection.ChunkedDecoder;
            decoder.Reset();
            while (true)
            {
                var result = await source.ReadAsync(activity.Token).ConfigureAwait(false);
                activity.ResetTimeout();
                var used = decoder.Decode(result.Buffer, destination);
                source.AdvanceTo(used, result.Buffer.End);
                await destination.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                if (decoder.IsDone)
                {
                    return NothingBuffered(source);
                }

                if (result.IsCompleted)
                {
                    throw new IOException("backend closed the connection inside a chunked body");
                }
            }
        }

        var remaining = head.ContentLength;
        if (remaining == 0)
        {
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            return NothingBuffered(source);
        }

        while (true)
        {
            var result = await source.ReadAsync(activity.Token).ConfigureAwait(false);
            activity.ResetTimeout();
            var buffer = result.Buffer;
            if (remaining >= 0 && buffer.Length > remaining)
            {
                // Bytes beyond Content-Length are not the next response; the connection is closed below.
                buffer = buffer.Slice(0, remaining);
            }

            foreach (var segment in buffer)
            {
                destination.Write(segment.Span);
            }

            // Measured before AdvanceTo: that returns the segments to the pipe, and a multi-segment
            // sequence's length is computed from them.
            var copied = buffer.Length;
            source.AdvanceTo(buffer.End);
            if (remaining >= 0)
            {
                remaining -= copied;
            }

            await destination.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            if (remaining == 0)
            {
                return NothingBuffered(source);
            }

            if (result.IsCompleted)
            {
                if (remaining > 0)
                {
                    throw new IOException("backend closed the connection before the end of the body");
                }

                // Read-until-close framing: complete, but the connection is gone.
                return false;
            }
        }
    }

    /// <summary>True when nothing beyond the response has arrived; stray bytes would be read as the next response.</summary>
    private static bool NothingBuffered(PipeReader source)
    {
        if (!source.TryRead(out var result))
        {
            return true;
        }

        var clean = result.Buffer.IsEmpty && !result.IsCompleted;
        source.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        return clean;
    }

    private async ValueTask<ForwarderError> HandleRequestFailureAsync(HttpContext context, ForwardAttempt attempt, Exception exception, Phase phase, bool bodyStarted)
    {
        var client = attempt.Client;
        var destination = attempt.Endpoint.UriPrefix;
        if (context.RequestAborted.IsCancellationRequested)
        {
            return ForwarderError.RequestCanceled;
        }

        if (exception is ClientBodyException clientBody)
        {
            LogClientBodyFailed(_logger, context.Request.Path.Value, clientBody.InnerException!.Message);
            await ErrorResponse.WriteAsync(context, StatusCodes.Status400BadRequest, "error reading the request body\n").ConfigureAwait(false);
            return ForwarderError.RequestBodyClient;
        }

        var (condition, reason) = exception switch
        {
            OperationCanceledException => (NextUpstreamConditions.Timeout, phase switch
            {
                Phase.Connect => "connect timed out",
                Phase.Send => "send timed out",
                _ => "read timed out",
            }),
            InvalidResponseException => (NextUpstreamConditions.InvalidHeader, "invalid response"),
            BackendClosedException => (NextUpstreamConditions.Error, "connection closed before response"),
            _ when phase == Phase.Connect => (NextUpstreamConditions.Error, "connect failed"),
            _ => (NextUpstreamConditions.Error, "request failed"),
        };
        var timedOut = condition == NextUpstreamConditions.Timeout;

        if (attempt.MayRetry && (attempt.RetryOn & condition) != 0 && !bodyStarted)
        {
            LogRetryableFailure(_logger, client.Name, destination, reason, exception.Message);
            return timedOut ? ForwarderError.RequestTimedOut : ForwarderError.Request;
        }

        if (timedOut)
        {
            LogTimedOut(_logger, client.Name, destination, reason);
            await ErrorResponse.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "upstream timed out: " + client.Name + "\n").ConfigureAwait(false);
            return ForwarderError.RequestTimedOut;
        }

        LogRequestFailed(_logger, client.Name, destination, reason, exception.Message);
        await ErrorResponse.WriteAsync(context, StatusCodes.Status502BadGateway, "bad gateway: " + reason + " to " + client.Name + "\n").ConfigureAwait(false);
        return ForwarderError.Request;
    }

    /// <summary>Reading the client's request body failed (not the backend's fault).</summary>
    private sealed class ClientBodyException(Exception inner) : Exception(inner.Message, inner);

    /// <summary>The backend closed the connection before a single byte of response.</summary>
    private sealed class BackendClosedException() : IOException("backend closed the connection before responding");
}
