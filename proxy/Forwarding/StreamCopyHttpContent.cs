using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// Request content that streams the client's body to the backend on demand, never buffering it.
/// SocketsHttpHandler calls <see cref="SerializeToStreamAsync(Stream, TransportContext?, CancellationToken)"/>
/// only when it sends the body, which for "Expect: 100-continue" is after the backend's 100 — and
/// only then does reading the client body make Kestrel send its own 100 to the client.
/// </summary>
internal sealed class StreamCopyHttpContent : HttpContent
{
    private readonly HttpContext _context;
    private readonly ActivityCancellation _activity;
    private readonly TimeSpan _activityTimeout;
    private readonly TimeSpan _readTimeout;

    /// <param name="activity">The request's timeout source; every chunk read from the client pushes its
    /// deadline back, so a slow but steady upload is not cut off by the upstream timeout.</param>
    /// <param name="activityTimeout">proxy-send-timeout: the longest a write of one chunk to the backend may wait.</param>
    /// <param name="readTimeout">proxy-read-timeout: once the body is sent, the wait for the response starts.</param>
    public StreamCopyHttpContent(HttpContext context, ActivityCancellation activity, TimeSpan activityTimeout, TimeSpan readTimeout)
    {
        _context = context;
        _activity = activity;
        _activityTimeout = activityTimeout;
        _readTimeout = readTimeout;
    }

    /// <summary>True once the handler started sending the body.</summary>
    public bool Started { get; private set; }

    /// <summary>The client-side failure, if reading the request body is what broke.</summary>
    public Exception? ClientException { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Started)
        {
            // The handler may retry a request on a fresh connection, but a streamed body can't be replayed.
            throw new InvalidOperationException("The request body was already sent and cannot be replayed.");
        }

        Started = true;
        var source = _context.Request.Body;
        // The handler passes the token given to SendAsync, which is the activity token itself.
        var token = cancellationToken.CanBeCanceled ? cancellationToken : _activity.Token;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(StreamCopier.BufferSize);
        try
        {
            var pendingFlush = false;
            while (true)
            {
                int count;
                try
                {
                    var read = source.ReadAsync(buffer.AsMemory(), token);
                    if (pendingFlush && !read.IsCompleted)
                    {
                        await stream.FlushAsync(token).ConfigureAwait(false);
                        pendingFlush = false;
                    }

                    count = await read.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    ClientException = ex;
                    throw;
                }

                if (count == 0)
                {
                    break;
                }

                // After the exchange (the backend answered early while an HTTP/2 body was still
                // streaming) the source is retired and this only writes a deadline nobody watches.
                _activity.Arm(_activityTimeout);

                await stream.WriteAsync(buffer.AsMemory(0, count), token).ConfigureAwait(false);
                pendingFlush = true;
            }

            if (pendingFlush)
            {
                await stream.FlushAsync(token).ConfigureAwait(false);
            }

            _activity.Arm(_readTimeout);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // Unknown: the Content-Length header (copied from the client) is used if present, otherwise
        // the handler sends the body chunked.
        length = -1;
        return false;
    }
}
