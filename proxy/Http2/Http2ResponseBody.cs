using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// The response body's PipeWriter: bytes collect in one pooled buffer until the application flushes,
/// then leave as DATA frames (with the head in front of the first). The buffer is the stream's, kept
/// across requests.
/// </summary>
internal sealed class Http2ResponseBody : PipeWriter
{
    private const int InitialSize = 4096;

    private readonly Http2Stream _stream;
    private byte[] _buffer = [];
    private int _buffered;
    private long _total;
    private bool _completed;

    public Http2ResponseBody(Http2Stream stream)
    {
        _stream = stream;
    }

    /// <summary>What the application wrote since the last flush.</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer.AsMemory(0, _buffered);

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _buffered;

    public void Discard() => _buffered = 0;

    public void Reset()
    {
        _buffered = 0;
        _total = 0;
        _completed = false;
        if (_buffer.Length != 0)
        {
            // Back to the shared pool between requests: an idle connection's pooled streams hold no buffers.
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)(_buffer.Length - _buffered))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        _buffered += bytes;
        _total += bytes;
        _stream.CheckResponseLength(_total);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_buffered);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_buffered);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }

        var flush = _stream.FlushResponseAsync(final: false);
        return flush.IsCompletedSuccessfully ? default : AwaitFlushAsync(flush);
    }

    public override void CancelPendingFlush()
    {
        // Flushes wait only for flow control and the transport; the stream's abort ends those.
    }

    public override void Complete(Exception? exception = null)
    {
        // The stream sends END_STREAM when the handler finishes (or at IHttpResponseBodyFeature.CompleteAsync).
        _completed = true;
    }

    private static async ValueTask<FlushResult> AwaitFlushAsync(ValueTask flush)
    {
        await flush.ConfigureAwait(false);
        return default;
    }

    private void Reserve(int sizeHint)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The response body writer was completed.");
        }

        _stream.EnsureStarted();
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _buffered >= needed)
        {
            return;
        }

        var size = Math.Max(Math.Max(InitialSize, _buffer.Length * 2), _buffered + needed);
        var larger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _buffered).CopyTo(larger);
        if (_buffer.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
