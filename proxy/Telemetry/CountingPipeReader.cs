using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>Forwards to the transport's reader and counts what the server consumes.</summary>
/// <remarks>
/// A keep-alive connection waits in <see cref="ReadAsync"/> once per request. The wait is this
/// object itself (one read is outstanding at a time), not an async method: no state machine box per
/// request, and the inner read's completion resumes Kestrel directly rather than through a second
/// continuation.
/// </remarks>
internal sealed class CountingPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private readonly PipeReader _inner;
    private readonly ConnectionByteCounter _counter;
    private readonly Action _innerCompleted;
    private ReadOnlySequence<byte> _buffer;
    private ManualResetValueTaskSourceCore<ReadResult> _read;
    private ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _pending;

    public CountingPipeReader(PipeReader inner, ConnectionByteCounter counter)
    {
        _inner = inner;
        _counter = counter;
        _innerCompleted = OnInnerCompleted;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = _inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            _buffer = result.Buffer;
            return new ValueTask<ReadResult>(result);
        }

        _read.Reset();
        _pending = pending.ConfigureAwait(false).GetAwaiter();
        _pending.UnsafeOnCompleted(_innerCompleted);
        return new ValueTask<ReadResult>(this, _read.Version);
    }

    private void OnInnerCompleted()
    {
        var pending = _pending;
        _pending = default;
        ReadResult result;
        try
        {
            result = pending.GetResult();
        }
        catch (Exception ex)
        {
            _read.SetException(ex);
            return;
        }

        _buffer = result.Buffer;
        _read.SetResult(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_inner.TryRead(out result))
        {
            _buffer = result.Buffer;
            return true;
        }

        return false;
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        Count(consumed);
        _inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Count(consumed);
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _read.OnCompleted(continuation, state, token, flags);

    private void Count(SequencePosition consumed)
    {
        var length = _buffer.Slice(_buffer.Start, consumed).Length;
        _buffer = default;
        if (length != 0)
        {
            _counter.Read(length);
        }
    }
}
