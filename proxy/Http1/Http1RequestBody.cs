using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// The request body's PipeReader: a window onto the connection's own input, cut to the body's framing,
/// so the application reads the socket's buffers with no copy. Content-Length bodies end after their
/// length; chunked ones are unframed by <see cref="Http1ChunkedDecoder"/> as they are read. Bytes past
/// the body (a pipelined next request) are never shown to the application.
/// </summary>
internal sealed class Http1RequestBody : PipeReader
{
    private readonly Http1ServerConnection _connection;
    private readonly PipeReader _input;
    private readonly Http1ChunkedDecoder _chunked;
    private Http1BodyKind _kind;
    private long _remaining;
    private bool _ended;
    private bool _readerCompleted;
    private bool _inputHeld;
    private bool _failed;
    private ReadOnlySequence<byte> _lastData;

    public Http1RequestBody(Http1ServerConnection connection, PipeReader input, Http1Limits limits)
    {
        _connection = connection;
        _input = input;
        _chunked = new Http1ChunkedDecoder(limits);
    }

    /// <summary>The whole body has been read (or there is none).</summary>
    public bool IsEnded => _ended;

    public void Start(Http1BodyKind kind, long contentLength)
    {
        _kind = kind;
        _remaining = kind == Http1BodyKind.ContentLength ? contentLength : 0;
        _ended = kind == Http1BodyKind.None || (kind == Http1BodyKind.ContentLength && contentLength == 0);
        if (kind == Http1BodyKind.Chunked)
        {
            _chunked.Reset();
        }
    }

    public void Reset()
    {
        _kind = Http1BodyKind.None;
        _remaining = 0;
        _ended = true;
        _readerCompleted = false;
        _failed = false;
        _inputHeld = false;
        _lastData = default;
    }

    /// <summary>
    /// After the response: true when the body was read to its end (or what is left is already here and
    /// is skipped), so the next request's first byte is where the input stands.
    /// </summary>
    public bool TryFinish()
    {
        try
        {
            return Finish();
        }
        catch (BadHttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// After <see cref="TryFinish"/> found the rest of the body not here yet: reads and drops it as it
    /// arrives, framed as it would have been read, so the next request starts where this body ends.
    /// False when the body cannot end cleanly (malformed, or the client ended part-way).
    /// </summary>
    public async ValueTask<bool> DrainAsync()
    {
        while (!_ended)
        {
            if (_failed)
            {
                return false;
            }

            var result = await _input.ReadAsync().ConfigureAwait(false);
            if (result.IsCanceled)
            {
                _input.AdvanceTo(result.Buffer.Start);
                return false;
            }

            ReadResult next;
            SequencePosition consumedFraming;
            try
            {
                next = Frame(result, out consumedFraming);
            }
            catch (BadHttpRequestException)
            {
                _input.AdvanceTo(result.Buffer.Start);
                return false;
            }

            if (next.IsCompleted && _ended)
            {
                _input.AdvanceTo(consumedFraming);
                return true;
            }

            if (next.Buffer.IsEmpty)
            {
                _input.AdvanceTo(consumedFraming, result.Buffer.End);
                continue;
            }

            Consume(next.Buffer, next.Buffer.End);
            _input.AdvanceTo(next.Buffer.End);
        }

        return true;
    }

    /// <summary>The body broke its framing or ended early: it cannot be read to an end, and the connection ends.</summary>
    private void Fail()
    {
        _failed = true;
        _connection.EndAfterResponse();
    }

    private bool Finish()
    {
        if (_failed)
        {
            return false;
        }

        if (_inputHeld)
        {
            // The application read and never advanced: the input is still between ReadAsync and AdvanceTo.
            _inputHeld = false;
            _input.AdvanceTo(_lastData.Start);
            _lastData = default;
        }

        while (!_ended)
        {
            if (!_input.TryRead(out var result))
            {
                return false;
            }

            if (result.IsCanceled)
            {
                _input.AdvanceTo(result.Buffer.Start);
                return false;
            }

            var next = Frame(result, out var consumedFraming);
            if (next.IsCompleted && _ended)
            {
                _input.AdvanceTo(consumedFraming);
                return true;
            }

            if (next.Buffer.IsEmpty)
            {
                _input.AdvanceTo(consumedFraming, result.Buffer.End);
                return false;
            }

            // Skip what is here and look again.
            Consume(next.Buffer, next.Buffer.End);
            _input.AdvanceTo(next.Buffer.End);
        }

        return true;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_ended || _readerCompleted)
        {
            result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
            return true;
        }

        _connection.SendContinueIfExpected();
        while (_input.TryRead(out var input))
        {
            result = Frame(input, out var framingEnd);
            if (!result.Buffer.IsEmpty || result.IsCompleted || result.IsCanceled)
            {
                Hold(result.Buffer, framingEnd, result.IsCompleted && result.Buffer.IsEmpty);
                return true;
            }

            // Only framing so far: consumed, and nothing more is here yet.
            _input.AdvanceTo(framingEnd, input.Buffer.End);
            return false;
        }

        result = default;
        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_ended || _readerCompleted)
        {
            return new ValueTask<ReadResult>(new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true));
        }

        _connection.SendContinueIfExpected();
        var read = _input.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var input = read.Result;
            var result = Frame(input, out var framingEnd);
            if (!result.Buffer.IsEmpty || result.IsCompleted || result.IsCanceled)
            {
                Hold(result.Buffer, framingEnd, result.IsCompleted && result.Buffer.IsEmpty);
                return new ValueTask<ReadResult>(result);
            }

            _input.AdvanceTo(framingEnd, input.Buffer.End);
            return AwaitReadAsync(_input.ReadAsync(cancellationToken), cancellationToken);
        }

        return AwaitReadAsync(read, cancellationToken);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitReadAsync(ValueTask<ReadResult> pending, CancellationToken cancellationToken)
    {
        var input = await WaitAsync(pending).ConfigureAwait(false);
        while (true)
        {
            var result = Frame(input, out var framingEnd);
            if (!result.Buffer.IsEmpty || result.IsCompleted || result.IsCanceled)
            {
                Hold(result.Buffer, framingEnd, result.IsCompleted && result.Buffer.IsEmpty);
                return result;
            }

            _input.AdvanceTo(framingEnd, input.Buffer.End);
            input = await WaitAsync(_input.ReadAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>A read that has to wait for the client counts against the body timeout.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> WaitAsync(ValueTask<ReadResult> read)
    {
        if (read.IsCompleted)
        {
            return await read.ConfigureAwait(false);
        }

        _connection.BeginWait(_connection.Limits.BodyTimeout, "the client sent no request body bytes within the body timeout");
        try
        {
            return await read.ConfigureAwait(false);
        }
        finally
        {
            _connection.EndWait();
        }
    }

    /// <summary>Remembers what the application was shown; an empty final result releases the input at once.</summary>
    private void Hold(ReadOnlySequence<byte> data, SequencePosition framingEnd, bool endedEmpty)
    {
        if (endedEmpty)
        {
            // The body ended in framing only: nothing for the application to advance past.
            _input.AdvanceTo(framingEnd);
            _lastData = default;
            _inputHeld = false;
            return;
        }

        _lastData = data;
        _inputHeld = true;
    }

    /// <summary>The body's view of one read of the input; <paramref name="framingEnd"/> is how far framing alone reaches.</summary>
    private ReadResult Frame(ReadResult input, out SequencePosition framingEnd)
    {
        var buffer = input.Buffer;
        framingEnd = buffer.Start;
        if (input.IsCanceled)
        {
            // An empty slice of the input, so the application's AdvanceTo has a real position to give back.
            return new ReadResult(buffer.Slice(0, 0), isCanceled: true, isCompleted: false);
        }

        if (_kind == Http1BodyKind.ContentLength)
        {
            if (buffer.Length >= _remaining)
            {
                return new ReadResult(buffer.Slice(0, _remaining), isCanceled: false, isCompleted: true);
            }

            if (input.IsCompleted)
            {
                Fail();
                throw new BadHttpRequestException("Unexpected end of request content.", StatusCodes.Status400BadRequest);
            }

            return new ReadResult(buffer, isCanceled: false, isCompleted: false);
        }

        switch (_chunked.Decode(buffer, out framingEnd, out var data, out var rejection))
        {
            case Http1ChunkedStatus.Data:
                return new ReadResult(data, isCanceled: false, isCompleted: false);
            case Http1ChunkedStatus.Done:
                _ended = true;
                return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
            case Http1ChunkedStatus.Rejected:
                // The application may still answer (400); the connection cannot carry another request.
                Fail();
                _connection.OnBodyRejected(rejection.StatusCode);
                throw new BadHttpRequestException(rejection.Reason, rejection.StatusCode);
            default:
                if (input.IsCompleted)
                {
                    Fail();
                    throw new BadHttpRequestException("Unexpected end of request content.", StatusCodes.Status400BadRequest);
                }

                return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: false);
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_inputHeld)
        {
            if (_lastData.IsEmpty)
            {
                // After an empty, completed result: nothing was shown, nothing to release.
                return;
            }

            throw new InvalidOperationException("AdvanceTo was called without a read in progress.");
        }

        _inputHeld = false;
        Consume(_lastData, consumed);

        // Positions in the data are the input's own. Bytes after the data (more chunks, the next
        // request) stay unexamined, so the next read sees them without waiting for the socket.
        _input.AdvanceTo(consumed, examined);
        _lastData = default;
    }

    private void Consume(ReadOnlySequence<byte> data, SequencePosition consumed)
    {
        var bytes = data.Slice(data.Start, consumed).Length;
        if (_kind == Http1BodyKind.ContentLength)
        {
            _remaining -= bytes;
            _ended = _remaining == 0;
        }
        else if (_kind == Http1BodyKind.Chunked)
        {
            _chunked.ConsumeData(bytes);
        }
    }

    public override void CancelPendingRead() => _input.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        // The connection's input is the connection's: completing the body only stops this request's reads.
        _readerCompleted = true;
    }
}
