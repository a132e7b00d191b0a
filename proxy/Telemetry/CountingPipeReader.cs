using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>Forwards to the transport's reader and counts what the server consumes.</summary>
internal sealed class CountingPipeReader : PipeReader
{
    private readonly PipeReader _inner;
    private readonly ConnectionByteCounter _counter;
    private ReadOnlySequence<byte> _buffer;

    public CountingPipeReader(PipeReader inner, ConnectionByteCounter counter)
    {
        _inner = inner;
        _counter = counter;
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

        return AwaitRead(pending);
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

    private void Count(SequencePosition consumed)
    {
        var length = _buffer.Slice(_buffer.Start, consumed).Length;
        _buffer = default;
        if (length != 0)
        {
            _counter.Read(length);
        }
    }

    // Pooled: a keep-alive connection waits here once per request, which must not allocate.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitRead(ValueTask<ReadResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        _buffer = result.Buffer;
        return result;
    }
}
