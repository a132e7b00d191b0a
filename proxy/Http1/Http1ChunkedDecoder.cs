using System.Buffers;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// Reads a request body sent with Transfer-Encoding: chunked (RFC 9112 7.1) out of the connection's own
/// buffers. It takes the framing (chunk-size lines, the CRLF after each chunk's data, the last chunk and
/// the trailer section) and hands back each chunk's data as a slice of its input, never a copy, so the
/// application reads the bytes the socket wrote. One per connection, <see cref="Reset"/> per request.
/// </summary>
/// <remarks>
/// <para>
/// The caller's loop: read the connection; <see cref="Decode"/> the buffered bytes; always consume up to
/// <c>framingEnd</c>. On <see cref="Http1ChunkedStatus.Data"/> give <c>data</c> to the application, then
/// consume as much of it as the application used and report that with <see cref="ConsumeData"/>; the
/// next <see cref="Decode"/> starts after it. On <see cref="Http1ChunkedStatus.NeedMore"/>
/// <c>framingEnd</c> is the end of the input: a line split across reads is carried in this object's
/// state, not re-offered, so every byte is looked at once however slowly it arrives.
/// </para>
/// <para>
/// The proxy re-frames the body for the backend, but a lenient reading here would still let a client
/// make this server and an intermediary in front of it disagree about where the body ends (request
/// smuggling), so anything outside the grammar is refused rather than guessed at:
/// chunk-size is 1*HEXDIG (no sign, no "0x", no whitespace, at most 16 significant digits and at most
/// <see cref="long.MaxValue"/>); every line ends in CRLF (a bare LF, or a CR before anything but LF, is
/// refused); the chunk-size must be followed directly by ';' or CRLF. BWS elsewhere in chunk-ext (after
/// ';', around '=', before a later ';') is accepted as RFC 9112 allows, but not before the CRLF, where
/// the grammar has none. Chunk extensions and trailer fields are checked and dropped: a backend is
/// sent no trailers over HTTP/1.1. Every refusal is 400; the size limits are framing limits of this
/// server, not of the body, so they are not 413 (a body-size limit is the caller's, from <see cref="BodyBytes"/>).
/// </para>
/// </remarks>
internal sealed class Http1ChunkedDecoder
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';
    private const byte SP = (byte)' ';
    private const byte HTAB = (byte)'\t';

    // A chunk-size line's size: it must fit a long, so a 16th significant digit may be added only while
    // the value is at most this.
    private const long MaxSizeBeforeDigit = long.MaxValue >> 4;

    private static readonly Http1Rejection s_badSize = new(400, "invalid chunk-size");
    private static readonly Http1Rejection s_sizeOverflow = new(400, "chunk-size too large");
    private static readonly Http1Rejection s_badExtension = new(400, "invalid chunk-ext");
    private static readonly Http1Rejection s_lineTooLong = new(400, "chunk-size line too long");
    private static readonly Http1Rejection s_bareLineEnd = new(400, "chunk line not ended by CRLF");
    private static readonly Http1Rejection s_badDataEnd = new(400, "chunk-data not followed by CRLF");
    private static readonly Http1Rejection s_badTrailer = new(400, "invalid trailer field");
    private static readonly Http1Rejection s_trailersTooLarge = new(400, "trailer section too large");

    private static readonly byte[] s_classes = BuildClasses();

    private readonly int _maxChunkLineSize;
    private readonly int _maxTrailersTotalSize;

    private State _state;
    private long _chunkSize;
    private long _chunkRemaining;
    private long _offered;
    private int _lineBytes;
    private int _trailerBytes;
    private Http1Rejection _rejection;

    public Http1ChunkedDecoder(Http1Limits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _maxChunkLineSize = limits.MaxChunkLineSize;
        _maxTrailersTotalSize = limits.MaxTrailersTotalSize;
    }

    [Flags]
    private enum ByteClass : byte
    {
        None = 0,
        Hex = 1,
        Token = 2,

        // qdtext of RFC 9110 5.6.4: HTAB, SP, VCHAR but '"' and '\', obs-text.
        QdText = 4,

        // What may follow '\' in a quoted-pair: HTAB, SP, VCHAR, obs-text.
        Escaped = 8,

        // A field value's bytes (RFC 9110 5.5): field-vchar, SP, HTAB. Not CR, LF, NUL, other CTLs or DEL.
        FieldValue = 16,
    }

    // The size-line states come first so that one comparison tells whether a byte counts against the
    // line limit; the trailer states come last for the same reason.
    private enum State : byte
    {
        SizeStart,
        Size,
        ExtNameStart,
        ExtName,
        ExtAfterName,
        ExtValueStart,
        ExtToken,
        ExtQuoted,
        ExtQuotedPair,
        ExtAfterQuoted,
        ExtAfterValue,
        SizeLineLf,
        Data,
        DataCr,
        DataLf,
        TrailerLineStart,
        TrailerName,
        TrailerValue,
        TrailerLineLf,
        TrailerEndLf,
        Done,
        Rejected,
    }

    private enum Step
    {
        NeedMore,
        Data,
        Done,
        Rejected,
    }

    /// <summary>Body bytes the caller has consumed (<see cref="ConsumeData"/>) in this request.</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Trailer fields seen (validated, then dropped).</summary>
    public int TrailerCount { get; private set; }

    /// <summary>For the next request on the connection.</summary>
    public void Reset()
    {
        _state = State.SizeStart;
        _chunkSize = 0;
        _chunkRemaining = 0;
        _offered = 0;
        _lineBytes = 0;
        _trailerBytes = 0;
        _rejection = default;
        BodyBytes = 0;
        TrailerCount = 0;
    }

    /// <summary>
    /// Takes framing from the start of <paramref name="input"/> up to the next body bytes, the end of the
    /// body, or the end of the input.
    /// </summary>
    /// <param name="input">The connection's unconsumed bytes: everything after what earlier calls told the caller to consume.</param>
    /// <param name="framingEnd">
    /// Data: where <paramref name="data"/> starts. NeedMore: the end of <paramref name="input"/>, or its start
    /// when nothing was taken. Done: just after the trailer section's final CRLF. Rejected: the offending byte.
    /// Everything before it is framing the caller consumes.
    /// </param>
    /// <param name="data">Data only: a non-empty slice of <paramref name="input"/>, within the current chunk.</param>
    /// <param name="rejection">Rejected only: the status to answer and why.</param>
    public Http1ChunkedStatus Decode(
        in ReadOnlySequence<byte> input,
        out SequencePosition framingEnd,
        out ReadOnlySequence<byte> data,
        out Http1Rejection rejection)
    {
        data = default;
        rejection = default;
        switch (_state)
        {
            case State.Done:
                framingEnd = input.Start;
                return Http1ChunkedStatus.Done;
            case State.Rejected:
                framingEnd = input.Start;
                rejection = _rejection;
                return Http1ChunkedStatus.Rejected;
            case State.Data:
                framingEnd = input.Start;
                return OfferData(input, ref framingEnd, out data);
        }

        var position = input.Start;
        var segmentStart = position;
        while (input.TryGet(ref position, out var memory))
        {
            var step = Parse(memory.Span, out var used);
            switch (step)
            {
                case Step.NeedMore:
                    segmentStart = position;
                    continue;
                case Step.Data:
                    framingEnd = input.GetPosition(used, segmentStart);
                    return OfferData(input, ref framingEnd, out data);
                case Step.Done:
                    framingEnd = input.GetPosition(used, segmentStart);
                    return Http1ChunkedStatus.Done;
                default:
                    framingEnd = input.GetPosition(used, segmentStart);
                    rejection = _rejection;
                    return Http1ChunkedStatus.Rejected;
            }
        }

        framingEnd = input.End;
        return Http1ChunkedStatus.NeedMore;
    }

    /// <summary>The caller consumed <paramref name="bytes"/> of the data the last <see cref="Decode"/> returned.</summary>
    public void ConsumeData(long bytes)
    {
        // Consuming bytes that were never offered would put the caller's buffer and this state out of step:
        // that is a bug in the caller, not something a client can cause.
        if (_state != State.Data || bytes < 0 || bytes > _offered)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "More than the data last offered.");
        }

        _offered -= bytes;
        _chunkRemaining -= bytes;
        BodyBytes += bytes;
        if (_chunkRemaining == 0)
        {
            _state = State.DataCr;
        }
    }

    private Http1ChunkedStatus OfferData(in ReadOnlySequence<byte> input, ref SequencePosition dataStart, out ReadOnlySequence<byte> data)
    {
        var rest = input.Slice(dataStart);
        var length = Math.Min(rest.Length, _chunkRemaining);
        if (length == 0)
        {
            data = default;
            dataStart = rest.End;
            _offered = 0;
            return Http1ChunkedStatus.NeedMore;
        }

        data = rest.Slice(0, length);
        _offered = length;
        return Http1ChunkedStatus.Data;
    }

    /// <summary>Runs the state machine over one segment; <paramref name="used"/> is how far it got.</summary>
    private Step Parse(ReadOnlySpan<byte> span, out int used)
    {
        var classes = s_classes;
        var state = _state;
        var i = 0;
        for (; i < span.Length; i++)
        {
            var b = span[i];
            var cls = (ByteClass)classes[b];

            // Counted per byte as it is taken, so an overlong line is refused at its first excess byte,
            // not when (if ever) it ends.
            if (state < State.Data)
            {
                if (++_lineBytes > _maxChunkLineSize)
                {
                    return Reject(s_lineTooLong, i, out used);
                }
            }
            else if (state >= State.TrailerLineStart && ++_trailerBytes > _maxTrailersTotalSize)
            {
                return Reject(s_trailersTooLarge, i, out used);
            }

            switch (state)
            {
                case State.SizeStart:
                    if ((cls & ByteClass.Hex) == 0)
                    {
                        return Reject(s_badSize, i, out used);
                    }

                    _chunkSize = HexValue(b);
                    state = State.Size;
                    break;

                case State.Size:
                    if ((cls & ByteClass.Hex) != 0)
                    {
                        if (_chunkSize > MaxSizeBeforeDigit)
                        {
                            return Reject(s_sizeOverflow, i, out used);
                        }

                        _chunkSize = (_chunkSize << 4) | HexValue(b);
                    }
                    else if (b == CR)
                    {
                        state = State.SizeLineLf;
                    }
                    else if (b == (byte)';')
                    {
                        state = State.ExtNameStart;
                    }
                    else
                    {
                        return Reject(b == LF ? s_bareLineEnd : s_badSize, i, out used);
                    }

                    break;

                case State.ExtNameStart:
                    if ((cls & ByteClass.Token) != 0)
                    {
                        state = State.ExtName;
                    }
                    else if (b is not (SP or HTAB))
                    {
                        return Reject(s_badExtension, i, out used);
                    }

                    break;

                case State.ExtName:
                    if ((cls & ByteClass.Token) != 0)
                    {
                        break;
                    }

                    state = b switch
                    {
                        CR => State.SizeLineLf,
                        (byte)';' => State.ExtNameStart,
                        (byte)'=' => State.ExtValueStart,
                        SP or HTAB => State.ExtAfterName,
                        _ => State.Rejected,
                    };
                    if (state == State.Rejected)
                    {
                        return Reject(b == LF ? s_bareLineEnd : s_badExtension, i, out used);
                    }

                    break;

                case State.ExtAfterName:
                    state = b switch
                    {
                        SP or HTAB => State.ExtAfterName,
                        (byte)';' => State.ExtNameStart,
                        (byte)'=' => State.ExtValueStart,
                        _ => State.Rejected,
                    };
                    if (state == State.Rejected)
                    {
                        return Reject(s_badExtension, i, out used);
                    }

                    break;

                case State.ExtValueStart:
                    if ((cls & ByteClass.Token) != 0)
                    {
                        state = State.ExtToken;
                    }
                    else if (b == (byte)'"')
                    {
                        state = State.ExtQuoted;
                    }
                    else if (b is not (SP or HTAB))
                    {
                        return Reject(s_badExtension, i, out used);
                    }

                    break;

                case State.ExtToken:
                    if ((cls & ByteClass.Token) != 0)
                    {
                        break;
                    }

                    state = b switch
                    {
                        CR => State.SizeLineLf,
                        (byte)';' => State.ExtNameStart,
                        SP or HTAB => State.ExtAfterValue,
                        _ => State.Rejected,
                    };
                    if (state == State.Rejected)
                    {
                        return Reject(b == LF ? s_bareLineEnd : s_badExtension, i, out used);
                    }

                    break;

                case State.ExtQuoted:
                    if (b == (byte)'"')
                    {
                        state = State.ExtAfterQuoted;
                    }
                    else if (b == (byte)'\\')
                    {
                        state = State.ExtQuotedPair;
                    }
                    else if ((cls & ByteClass.QdText) == 0)
                    {
                        // CR and LF included: a quoted string cannot hide a line end from a reader that
                        // does not know about quoting.
                        return Reject(s_badExtension, i, out used);
                    }

                    break;

                case State.ExtQuotedPair:
                    if ((cls & ByteClass.Escaped) == 0)
                    {
                        return Reject(s_badExtension, i, out used);
                    }

                    state = State.ExtQuoted;
                    break;

                case State.ExtAfterQuoted:
                    state = b switch
                    {
                        CR => State.SizeLineLf,
                        (byte)';' => State.ExtNameStart,
                        SP or HTAB => State.ExtAfterValue,
                        _ => State.Rejected,
                    };
                    if (state == State.Rejected)
                    {
                        return Reject(b == LF ? s_bareLineEnd : s_badExtension, i, out used);
                    }

                    break;

                case State.ExtAfterValue:
                    if (b == (byte)';')
                    {
                        state = State.ExtNameStart;
                    }
                    else if (b is not (SP or HTAB))
                    {
                        // Whitespace then CRLF included: the grammar has no BWS at the end of the line.
                        return Reject(s_badExtension, i, out used);
                    }

                    break;

                case State.SizeLineLf:
                    if (b != LF)
                    {
                        return Reject(s_bareLineEnd, i, out used);
                    }

                    _lineBytes = 0;
                    if (_chunkSize == 0)
                    {
                        state = State.TrailerLineStart;
                        break;
                    }

                    _chunkRemaining = _chunkSize;
                    _state = State.Data;
                    used = i + 1;
                    return Step.Data;

                case State.DataCr:
                    if (b != CR)
                    {
                        return Reject(s_badDataEnd, i, out used);
                    }

                    state = State.DataLf;
                    break;

                case State.DataLf:
                    if (b != LF)
                    {
                        return Reject(s_badDataEnd, i, out used);
                    }

                    state = State.SizeStart;
                    break;

                case State.TrailerLineStart:
                    if (b == CR)
                    {
                        state = State.TrailerEndLf;
                    }
                    else if ((cls & ByteClass.Token) != 0)
                    {
                        TrailerCount++;
                        state = State.TrailerName;
                    }
                    else
                    {
                        // SP/HTAB here is obs-fold (or whitespace before the first name); ':' an empty name.
                        return Reject(b == LF ? s_bareLineEnd : s_badTrailer, i, out used);
                    }

                    break;

                case State.TrailerName:
                    if (b == (byte)':')
                    {
                        state = State.TrailerValue;
                    }
                    else if ((cls & ByteClass.Token) == 0)
                    {
                        // Whitespace before ':' included (RFC 9112 5.1 says reject).
                        return Reject(s_badTrailer, i, out used);
                    }

                    break;

                case State.TrailerValue:
                    if (b == CR)
                    {
                        state = State.TrailerLineLf;
                    }
                    else if ((cls & ByteClass.FieldValue) == 0)
                    {
                        return Reject(b == LF ? s_bareLineEnd : s_badTrailer, i, out used);
                    }

                    break;

                case State.TrailerLineLf:
                    if (b != LF)
                    {
                        return Reject(s_bareLineEnd, i, out used);
                    }

                    state = State.TrailerLineStart;
                    break;

                case State.TrailerEndLf:
                    if (b != LF)
                    {
                        return Reject(s_bareLineEnd, i, out used);
                    }

                    _state = State.Done;
                    used = i + 1;
                    return Step.Done;
            }
        }

        _state = state;
        used = i;
        return Step.NeedMore;
    }

    private Step Reject(Http1Rejection rejection, int at, out int used)
    {
        _rejection = rejection;
        _state = State.Rejected;
        used = at;
        return Step.Rejected;
    }

    private static long HexValue(byte b) => b <= (byte)'9' ? b - '0' : (b | 0x20) - 'a' + 10;

    private static byte[] BuildClasses()
    {
        var classes = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            var cls = ByteClass.None;
            var vchar = b is >= 0x21 and <= 0x7E;
            var obsText = b >= 0x80;
            if (b is (>= '0' and <= '9') or (>= 'A' and <= 'F') or (>= 'a' and <= 'f'))
            {
                cls |= ByteClass.Hex;
            }

            if (b is (>= '0' and <= '9') or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z')
                || "!#$%&'*+-.^_`|~".Contains((char)b, StringComparison.Ordinal))
            {
                cls |= ByteClass.Token;
            }

            if (b is SP or HTAB || obsText || (vchar && b is not ('"' or '\\')))
            {
                cls |= ByteClass.QdText;
            }

            if (b is SP or HTAB || vchar || obsText)
            {
                cls |= ByteClass.Escaped | ByteClass.FieldValue;
            }

            classes[b] = (byte)cls;
        }

        return classes;
    }
}
