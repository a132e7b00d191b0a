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

    // The first buffer of every response comes from a pool of its own. The shared pool keeps a few dozen
    // arrays per size and core: 500 streams in flight (50 connections x 10) rent and return in bursts
    // far larger, so it ran dry and every response allocated its 4 KiB anew. 1,024 retained = 4 MiB at most.
    private static readonly ArrayPool<byte> InitialBuffers = ArrayPool<byte>.Create(InitialSize, 1024);

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
            // Back to the pool between requests: an idle connection's pooled streams hold no buffers.
            Return(_buffer);
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
        var larger = size == InitialSize ? InitialBuffers.Rent(InitialSize) : ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _buffered).CopyTo(larger);
        if (_buffer.Length != 0)
        {
            Return(_buffer);
        }

        _buffer = larger;
    }

    // Only the initial pool hands out arrays of exactly InitialSize; the shared pool's next size up is twice that.
    private static void Return(byte[] buffer)
    {
        if (buffer.Length == InitialSize)
        {
            InitialBuffers.Return(buffer);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
