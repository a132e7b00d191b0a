using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// The response body's PipeWriter, writing straight into the socket's output: the head goes in front of
/// the first byte, so a whole response usually leaves in one send. Chunked bodies reserve room for the
/// chunk-size line in front of the memory they hand out and fill it in on Advance (a fixed-width,
/// zero-padded size, which RFC 9112's 1*HEXDIG allows), so chunking costs no copy either.
/// </summary>
internal sealed class Http1ResponseBody : PipeWriter
{
    // A chunk is at most what one GetMemory hands out; its size line is up to 8 hex digits and CRLF.
    private const int MaxChunkPrefix = 10;
    private const int ChunkSuffix = 2;
    private const int MaxChunkSize = int.MaxValue - MaxChunkPrefix - ChunkSuffix;

    private readonly Http1ServerConnection _connection;
    private readonly PipeWriter _output;
    private byte[]? _discard;
    private Memory<byte> _chunkMemory;
    private int _chunkPrefix;
    private long _written;
    private bool _ended;
    private bool _completed;

    public Http1ResponseBody(Http1ServerConnection connection, PipeWriter output)
    {
        _connection = connection;
        _output = output;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _output.UnflushedBytes;

    /// <summary>Body bytes the application wrote.</summary>
    public long Written => _written;

    public void Reset()
    {
        _chunkMemory = default;
        _chunkPrefix = 0;
        _written = 0;
        _ended = false;
        _completed = false;
    }

    /// <summary>A failed handler's 500 replaces whatever it wrote before the head went out (nothing did: the head goes first).</summary>
    public void Discard() => _written = 0;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_completed || _ended)
        {
            throw new InvalidOperationException("The response body writer was completed.");
        }

        _connection.EnsureStarted();
        switch (_connection.Framing)
        {
            case Http1ResponseFraming.None:
                // HEAD, 204, 304: the application may write, nothing is sent.
                var size = Math.Max(sizeHint, 4096);
                if (_discard is null || _discard.Length < size)
                {
                    _discard = new byte[size];
                }

                return _discard;

            case Http1ResponseFraming.Chunked:
                var memory = _output.GetMemory(Math.Max(sizeHint, 1) + MaxChunkPrefix + ChunkSuffix);
                var room = Math.Min(memory.Length, MaxChunkSize) - ChunkSuffix;
                _chunkPrefix = HexDigits(room) + 2;
                _chunkMemory = memory;
                return memory[_chunkPrefix..(room)];

            default:
                return _output.GetMemory(sizeHint);
        }
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        switch (_connection.Framing)
        {
            case Http1ResponseFraming.None:
                _written += bytes;
                return;

            case Http1ResponseFraming.Chunked:
                if (bytes == 0)
                {
                    return;
                }

                var span = _chunkMemory.Span;
                var width = _chunkPrefix - 2;
                var value = bytes;
                for (var i = width - 1; i >= 0; i--)
                {
                    span[i] = (byte)"0123456789abcdef"[value & 0xF];
                    value >>= 4;
                }

                span[width] = (byte)'\r';
                span[width + 1] = (byte)'\n';
                span[_chunkPrefix + bytes] = (byte)'\r';
                span[_chunkPrefix + bytes + 1] = (byte)'\n';
                _output.Advance(_chunkPrefix + bytes + ChunkSuffix);
                _chunkMemory = default;
                _written += bytes;
                return;

            case Http1ResponseFraming.ContentLength:
                if (_written + bytes > _connection.DeclaredResponseLength)
                {
                    throw new InvalidOperationException(
                        $"Response Content-Length mismatch: too many bytes written ({_written + bytes} of {_connection.DeclaredResponseLength}).");
                }

                _output.Advance(bytes);
                _written += bytes;
                return;

            default:
                _output.Advance(bytes);
                _written += bytes;
                return;
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!_connection.ResponseStarted)
        {
            _connection.EnsureStarted();
        }

        return _connection.FlushOutputAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => _output.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        // The end of the body is written when the handler finishes (or at IHttpResponseBodyFeature.CompleteAsync).
        _completed = true;
    }

    /// <summary>
    /// Writes what ends the body (the last chunk) once. False when a Content-Length body is short:
    /// <paramref name="shortBy"/> bytes are missing and the connection cannot carry another response.
    /// </summary>
    public bool TryEnd(out long shortBy)
    {
        shortBy = 0;
        if (_ended)
        {
            return true;
        }

        _ended = true;
        switch (_connection.Framing)
        {
            case Http1ResponseFraming.Chunked:
                "0\r\n\r\n"u8.CopyTo(_output.GetSpan(5));
                _output.Advance(5);
                return true;

            case Http1ResponseFraming.ContentLength:
                shortBy = _connection.DeclaredResponseLength - _written;
                return shortBy == 0;

            default:
                return true;
        }
    }

    private static int HexDigits(int value)
    {
        var digits = 1;
        while ((value >>= 4) != 0)
        {
            digits++;
        }

        return digits;
    }
}
