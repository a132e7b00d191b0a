using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// The request body's PipeReader: the stream's DATA pipe, counting what the application consumes so
/// the connection can open the flow-control windows again (WINDOW_UPDATE) as the body is forwarded.
/// </summary>
internal sealed class Http2RequestBody : PipeReader
{
    private readonly Http2Stream _stream;
    private ReadOnlySequence<byte> _lastRead;
    private bool _continueChecked;

    public Http2RequestBody(Http2Stream stream)
    {
        _stream = stream;
    }

    public void Reset()
    {
        _lastRead = default;
        _continueChecked = false;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_stream.BodyPipe is not { } pipe)
        {
            result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
            return true;
        }

        CheckContinue();
        if (pipe.Reader.TryRead(out result))
        {
            _lastRead = result.Buffer;
            return true;
        }

        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_stream.BodyPipe is not { } pipe)
        {
            return new ValueTask<ReadResult>(new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true));
        }

        CheckContinue();
        var read = pipe.Reader.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            _lastRead = result.Buffer;
            return new ValueTask<ReadResult>(result);
        }

        return AwaitReadAsync(read);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var pipe = _stream.BodyPipe!;
        var bytes = _lastRead.Slice(_lastRead.Start, consumed).Length;
        _lastRead = default;
        pipe.Reader.AdvanceTo(consumed, examined);
        _stream.OnBodyConsumed((int)bytes);
    }

    public override void CancelPendingRead() => _stream.BodyPipe?.Reader.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        if (_stream.BodyPipe is { } pipe)
        {
            _stream.OnBodyReaderCompleted();
            pipe.Reader.Complete(exception);
        }
    }

    private async ValueTask<ReadResult> AwaitReadAsync(ValueTask<ReadResult> read)
    {
        var result = await read.ConfigureAwait(false);
        _lastRead = result.Buffer;
        return result;
    }

    private void CheckContinue()
    {
        if (!_continueChecked)
        {
            _continueChecked = true;
            if (_stream.ExpectsContinue)
            {
                _stream.SendContinue();
            }
        }
    }
}
