using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// The connection's byte pipes as the stream <see cref="System.Net.Security.SslStream"/> reads TLS
/// records from and writes them to. Reads copy out of the transport's buffers, so the bytes the
/// ClientHello peek left unconsumed are the first SslStream sees. Once <see cref="CoalesceWrites"/> is
/// set (after the handshake), a write only fills the transport's buffer and the flush that follows
/// sends them: the records of one response leave in one <c>send</c>, not one each.
/// A read never goes past the end of a TLS record, so SslStream never holds a whole record it has
/// not decrypted: once a read of it returns fewer bytes than asked for, what comes next is still on
/// the socket (which the connection's decrypting loop waits on without SslStream).
/// </summary>
internal sealed class TlsRecordStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly byte[] _header = new byte[HeaderLength];
    private int _headerFill;
    private int _recordRemaining;

    private const int HeaderLength = 5;

    public TlsRecordStream(IDuplexPipe transport)
    {
        _input = transport.Input;
        _output = transport.Output;
    }

    /// <summary>
    /// False during the handshake, whose flights SslStream may write without a flush of its own; true
    /// afterwards, when every application write ends with a flush.
    /// </summary>
    public bool CoalesceWrites { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = _input.ReadAsync(cancellationToken);
        return read.IsCompletedSuccessfully
            ? new ValueTask<int>(CopyOut(read.Result, buffer.Span))
            : ReadSlowAsync(read, buffer);
    }

    private async ValueTask<int> ReadSlowAsync(ValueTask<ReadResult> read, Memory<byte> buffer)
        => CopyOut(await read.ConfigureAwait(false), buffer.Span);

    private int CopyOut(ReadResult result, Span<byte> destination)
    {
        var data = result.Buffer;
        if (data.IsEmpty)
        {
            _input.AdvanceTo(data.End);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The read was cancelled.");
            }

            return 0; // the client closed its side
        }

        var limit = (int)Math.Min(data.Length, destination.Length);
        var count = 0;
        while (count < limit)
        {
            if (_recordRemaining == 0)
            {
                // A record's header: its last two bytes give the length of what follows.
                var headerBytes = Math.Min(HeaderLength - _headerFill, limit - count);
                var header = data.Slice(count, headerBytes);
                header.CopyTo(_header.AsSpan(_headerFill));
                header.CopyTo(destination[count..]);
                _headerFill += headerBytes;
                count += headerBytes;
                if (_headerFill < HeaderLength)
                {
                    break;
                }

                _headerFill = 0;
                _recordRemaining = (_header[3] << 8) | _header[4];
                if (_recordRemaining == 0)
                {
                    break;
                }

                continue;
            }

            var bodyBytes = Math.Min(_recordRemaining, limit - count);
            data.Slice(count, bodyBytes).CopyTo(destination[count..]);
            _recordRemaining -= bodyBytes;
            count += bodyBytes;
            if (_recordRemaining == 0)
            {
                break; // one record at a time
            }
        }

        _input.AdvanceTo(data.GetPosition(count));
        return count;
    }

    /// <summary>
    /// True when the next whole record is already in the transport, so a read of SslStream now
    /// completes without waiting. Only at a record boundary, where every read of SslStream ends.
    /// </summary>
    public bool HasWholeRecordBuffered()
    {
        if (_recordRemaining != 0 || _headerFill != 0 || !_input.TryRead(out var result))
        {
            return false;
        }

        var buffer = result.Buffer;
        if (result.IsCanceled)
        {
            // The cancellation was meant for the read that waits next (disposal): pass it on.
            _input.AdvanceTo(buffer.Start);
            _input.CancelPendingRead();
            return false;
        }

        var whole = false;
        if (buffer.Length >= HeaderLength)
        {
            Span<byte> header = stackalloc byte[HeaderLength];
            buffer.Slice(0, HeaderLength).CopyTo(header);
            whole = buffer.Length >= HeaderLength + ((header[3] << 8) | header[4]);
        }

        _input.AdvanceTo(buffer.Start);
        return whole;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("TLS connections are read asynchronously.");

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (CoalesceWrites)
        {
            _output.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        var flush = _output.WriteAsync(buffer, cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            ThrowIfCanceled(flush.Result);
            return ValueTask.CompletedTask;
        }

        return AwaitFlushAsync(flush);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
        => throw new NotSupportedException("TLS connections are written asynchronously.");

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        var flush = _output.FlushAsync(cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            ThrowIfCanceled(flush.Result);
            return Task.CompletedTask;
        }

        return AwaitFlushAsync(flush).AsTask();
    }

    public override void Flush() => throw new NotSupportedException("TLS connections are flushed asynchronously.");

    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush)
        => ThrowIfCanceled(await flush.ConfigureAwait(false));

    private static void ThrowIfCanceled(FlushResult result)
    {
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The write was cancelled.");
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
