using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Decodes a chunked response body (RFC 9112 §7.1) from whatever bytes have arrived, writing the
/// data to the client as it goes. Sizes are validated strictly (hex only, no overflow), extensions
/// may hold no control characters, and trailers follow the header rules; anything else is an
/// <see cref="InvalidResponseException"/> and the connection is closed.
/// </summary>
internal sealed class ChunkedBodyDecoder
{
    private const int MaxLineLength = 4096;
    private const int MaxSizeDigits = 15;

    private State _state = State.Size;
    private long _remaining;
    private int _trailerBytes;

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
    }

    public bool IsDone => _state == State.Done;

    /// <summary>Ready for the next response's body on the same connection.</summary>
    public void Reset()
    {
        _state = State.Size;
        _remaining = 0;
        _trailerBytes = 0;
    }

    /// <summary>Consumes what it can of <paramref name="buffer"/>; returns the position up to which bytes were used.</summary>
    public SequencePosition Decode(ReadOnlySequence<byte> buffer, PipeWriter destination)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (_state != State.Done)
        {
            switch (_state)
            {
                case State.Size:
                    if (!TryReadLine(ref reader, out var sizeLine))
                    {
                        return reader.Position;
                    }

                    _remaining = ParseSize(sizeLine);
                    _state = _remaining == 0 ? State.Trailers : State.Data;
                    break;

                case State.Data:
                    if (reader.End)
                    {
                        return reader.Position;
                    }

                    var available = reader.UnreadSequence;
                    var take = (int)Math.Min(_remaining, Math.Min(available.Length, int.MaxValue));
                    foreach (var segment in available.Slice(0, take))
                    {
                        destination.Write(segment.Span);
                    }

                    reader.Advance(take);
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                    }

                    break;

                case State.DataEnd:
                    if (reader.Remaining < 2)
                    {
                        return reader.Position;
                    }

                    if (!reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        throw new InvalidResponseException("chunk data longer than its size");
                    }

                    _state = State.Size;
                    break;

                case State.Trailers:
                    if (!TryReadLine(ref reader, out var trailer))
                    {
                        return reader.Position;
                    }

                    _trailerBytes += trailer.Length + 2;
                    if (_trailerBytes > Http1ResponseParser.MaxHeaderBytes)
                    {
                        throw new InvalidResponseException("trailer section larger than 64 KiB");
                    }

                    if (trailer.IsEmpty)
                    {
                        _state = State.Done;
                    }
                    else
                    {
                        Http1ResponseParser.ValidateTrailer(trailer);
                    }

                    break;
            }
        }

        return reader.Position;
    }

    private static bool TryReadLine(ref SequenceReader<byte> reader, out ReadOnlySpan<byte> line)
    {
        line = default;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> raw, (byte)'\n', advancePastDelimiter: true))
        {
            if (reader.Remaining > MaxLineLength)
            {
                throw new InvalidResponseException("chunk line too long");
            }

            return false;
        }

        if (raw.Length > MaxLineLength)
        {
            throw new InvalidResponseException("chunk line too long");
        }

        var bytes = raw.IsSingleSegment ? raw.FirstSpan : raw.ToArray();
        if (bytes.IsEmpty || bytes[^1] != (byte)'\r')
        {
            throw new InvalidResponseException("bare LF in chunked body");
        }

        line = bytes[..^1];
        return true;
    }

    private static long ParseSize(ReadOnlySpan<byte> line)
    {
        long size = 0;
        var digits = 0;
        var i = 0;
        for (; i < line.Length; i++)
        {
            var value = HexValue(line[i]);
            if (value < 0)
            {
                break;
            }

            if (++digits > MaxSizeDigits)
            {
                throw new InvalidResponseException("chunk size overflow");
            }

            size = (size << 4) | (uint)value;
        }

        if (digits == 0)
        {
            throw new InvalidResponseException("malformed chunk size");
        }

        var rest = line[i..];
        var afterSpace = Http1ResponseParser.TrimOws(rest);
        if (!afterSpace.IsEmpty && afterSpace[0] != (byte)';')
        {
            throw new InvalidResponseException("malformed chunk size");
        }

        foreach (var b in afterSpace)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                throw new InvalidResponseException("control character in chunk extension");
            }
        }

        return size;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
