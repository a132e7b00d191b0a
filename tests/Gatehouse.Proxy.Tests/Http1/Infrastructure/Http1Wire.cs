using System.Globalization;
using System.Text;

namespace Gatehouse.Tests.Http1.Infrastructure;

/// <summary>The test side's own reading of HTTP/1.1 broke a rule: the peer sent something a strict parser refuses.</summary>
internal sealed class Http1WireException(string message) : Exception(message);

/// <summary>How a message body was delimited on the wire (RFC 9112 6.3).</summary>
internal enum Http1Framing
{
    /// <summary>No body by definition: HEAD, 1xx, 204, 304, or a request without framing fields.</summary>
    None,
    ContentLength,
    Chunked,

    /// <summary>A response without Content-Length or Transfer-Encoding: the body ends when the connection does.</summary>
    CloseDelimited,
}

/// <summary>A start line and the fields after it, exactly as received (names as sent, values without surrounding whitespace).</summary>
internal sealed class Http1Head
{
    public Http1Head(string startLine, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        StartLine = startLine;
        Fields = fields;
    }

    public string StartLine { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    public IEnumerable<string> GetAll(string name)
        => Fields.Where(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value);

    public bool Has(string name) => GetAll(name).Any();

    /// <summary>The value of a field sent exactly once; null when absent, a failure when repeated.</summary>
    public string? Get(string name)
    {
        var values = GetAll(name).ToList();
        Assert.True(values.Count <= 1, $"'{name}' was sent {values.Count} times");
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>The comma-separated tokens of every instance of a list field (Connection, Transfer-Encoding).</summary>
    public IReadOnlyList<string> Tokens(string name)
        => GetAll(name).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();

    public bool HasToken(string name, string token) => Tokens(name).Any(t => t.Equals(token, StringComparison.OrdinalIgnoreCase));

    public override string ToString()
        => StartLine + "\r\n" + string.Concat(Fields.Select(f => f.Key + ": " + f.Value + "\r\n"));
}

/// <summary>One response as <see cref="RawHttp1Client"/> read it.</summary>
internal sealed class Http1Response(Http1Head head, string version, int status, string reason, Http1Framing framing, byte[] body, IReadOnlyList<KeyValuePair<string, string>> trailers)
{
    public Http1Head Head { get; } = head;

    /// <summary>"HTTP/1.1" or "HTTP/1.0".</summary>
    public string Version { get; } = version;

    public int Status { get; } = status;

    public string Reason { get; } = reason;

    public Http1Framing Framing { get; } = framing;

    public byte[] Body { get; } = body;

    public string BodyText => Encoding.UTF8.GetString(Body);

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; } = trailers;

    public override string ToString() => Head + "\r\n" + (Body.Length <= 256 ? BodyText : $"({Body.Length} bytes)");
}

/// <summary>One request as <see cref="ScriptedBackend"/> read it.</summary>
internal sealed class Http1Request(Http1Head head, string method, string target, string version, Http1Framing framing, byte[] body, IReadOnlyList<KeyValuePair<string, string>> trailers)
{
    public Http1Head Head { get; } = head;

    public string Method { get; } = method;

    public string Target { get; } = target;

    public string Version { get; } = version;

    public Http1Framing Framing { get; } = framing;

    public byte[] Body { get; } = body;

    public string BodyText => Encoding.UTF8.GetString(Body);

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; } = trailers;
}

/// <summary>
/// A strict, buffered reader of HTTP/1.1 over a stream, used on both sides of the proxy: lines must end
/// in CRLF, field names must be tokens with no whitespace before the colon, Content-Length must be one
/// decimal number, and Transfer-Encoding must be exactly "chunked". Anything else is an
/// <see cref="Http1WireException"/>, so a sloppy peer fails the test instead of being read leniently.
/// </summary>
internal sealed class Http1StreamReader(Stream stream)
{
    private const int MaxLine = 64 * 1024;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>A read returned 0: the peer closed its sending side.</summary>
    public bool EndOfStream { get; private set; }

    /// <summary>Bytes received and not consumed yet.</summary>
    public int Buffered => _end - _start;

    /// <summary>Reads more bytes into the buffer; false at the end of the stream.</summary>
    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (EndOfStream)
        {
            return false;
        }

        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            EndOfStream = true;
            return false;
        }

        _end += read;
        return true;
    }

    /// <summary>Up to <paramref name="destination"/>'s length of whatever comes next (buffered bytes first); 0 at the end of the stream.</summary>
    public async Task<int> ReadSomeAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (Buffered == 0 && !await FillAsync(cancellationToken))
        {
            return 0;
        }

        var count = Math.Min(Buffered, destination.Length);
        _buffer.AsMemory(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }

    /// <summary>One CRLF-terminated line without its CRLF; null when the stream ends cleanly before its first byte.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var lf = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (lf >= 0)
            {
                if (lf == _start || _buffer[lf - 1] != (byte)'\r')
                {
                    throw new Http1WireException("a line ended in a bare LF: " + Encoding.Latin1.GetString(_buffer, _start, lf - _start));
                }

                var line = Encoding.Latin1.GetString(_buffer, _start, lf - 1 - _start);
                _start = lf + 1;
                if (line.Contains('\r', StringComparison.Ordinal))
                {
                    throw new Http1WireException("a bare CR inside a line: " + line);
                }

                return line;
            }

            scanned = _end - _start;
            if (scanned > MaxLine)
            {
                throw new Http1WireException($"no line end within {MaxLine} bytes");
            }

            if (!await FillAsync(cancellationToken))
            {
                if (Buffered == 0)
                {
                    return null;
                }

                throw new Http1WireException("the stream ended inside a line: " + Encoding.Latin1.GetString(_buffer, _start, _end - _start));
            }
        }
    }

    /// <summary>A start line and its fields up to the empty line; null when the stream ends cleanly before it starts.</summary>
    public async Task<Http1Head?> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var startLine = await ReadLineAsync(cancellationToken);
        if (startLine is null)
        {
            return null;
        }

        var fields = await ReadFieldsAsync(cancellationToken);
        return new Http1Head(startLine, fields);
    }

    /// <summary>Field lines up to and including the empty line (a head's fields or a chunked body's trailers).</summary>
    public async Task<List<KeyValuePair<string, string>>> ReadFieldsAsync(CancellationToken cancellationToken)
    {
        var fields = new List<KeyValuePair<string, string>>();
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken) ?? throw new Http1WireException("the stream ended inside a field section");
            if (line.Length == 0)
            {
                return fields;
            }

            fields.Add(ParseField(line));
        }
    }

    private static KeyValuePair<string, string> ParseField(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new Http1WireException("not a field line: " + line);
        }

        var name = line[..colon];
        if (!name.All(IsTokenChar))
        {
            throw new Http1WireException("a field name that is not a token (obs-fold or whitespace before the colon?): " + line);
        }

        return new(name, line[(colon + 1)..].Trim(' ', '\t'));
    }

    private static bool IsTokenChar(char c)
        => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    public async Task<byte[]> ReadExactAsync(long count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await ReadSomeAsync(result.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                throw new Http1WireException($"the stream ended after {filled} of {count} body bytes");
            }

            filled += read;
        }

        return result;
    }

    public async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await ReadSomeAsync(chunk, cancellationToken)) > 0)
        {
            body.Write(chunk, 0, read);
        }

        return body.ToArray();
    }

    /// <summary>A chunked body: chunk-size lines in hex (extensions allowed and ignored), data, CRLF, the last chunk, then trailers.</summary>
    public async Task<(byte[] Body, List<KeyValuePair<string, string>> Trailers)> ReadChunkedAsync(CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken) ?? throw new Http1WireException("the stream ended before a chunk-size line");
            var sizeText = line.Split(';', 2)[0];
            if (sizeText.Length == 0 || sizeText.Length > 16 || !sizeText.All(char.IsAsciiHexDigit))
            {
                throw new Http1WireException("not a chunk-size line: " + line);
            }

            var size = long.Parse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return (body.ToArray(), await ReadFieldsAsync(cancellationToken));
            }

            body.Write(await ReadExactAsync(size, cancellationToken));
            var end = await ReadLineAsync(cancellationToken);
            if (end is not { Length: 0 })
            {
                throw new Http1WireException("chunk data not followed by CRLF");
            }
        }
    }

    /// <summary>Decides the body framing from the fields; null means no framing field was sent.</summary>
    public static (Http1Framing Framing, long Length)? FramingOf(Http1Head head)
    {
        if (head.Has("Transfer-Encoding"))
        {
            if (head.Has("Content-Length"))
            {
                throw new Http1WireException("both Transfer-Encoding and Content-Length were sent");
            }

            var codings = head.Tokens("Transfer-Encoding");
            if (codings.Count != 1 || !codings[0].Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new Http1WireException("a Transfer-Encoding other than chunked: " + string.Join(", ", codings));
            }

            return (Http1Framing.Chunked, 0);
        }

        var lengths = head.GetAll("Content-Length").ToList();
        if (lengths.Count == 0)
        {
            return null;
        }

        if (lengths.Count > 1 || lengths[0].Length == 0 || !lengths[0].All(char.IsAsciiDigit) || lengths[0].Length > 18)
        {
            throw new Http1WireException("an invalid Content-Length: " + string.Join(" | ", lengths));
        }

        return (Http1Framing.ContentLength, long.Parse(lengths[0], CultureInfo.InvariantCulture));
    }

    /// <summary>The body that <paramref name="framing"/> describes.</summary>
    public async Task<(byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Trailers)> ReadBodyAsync(Http1Framing framing, long length, CancellationToken cancellationToken)
        => framing switch
        {
            Http1Framing.None => ([], []),
            Http1Framing.ContentLength => (await ReadExactAsync(length, cancellationToken), []),
            Http1Framing.Chunked => await ReadChunkedAsync(cancellationToken),
            _ => (await ReadToEndAsync(cancellationToken), []),
        };
}
