using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// Writes response heads into the connection's output: the status line, the application's fields (each
/// checked, as Kestrel checks them, so no CR or LF from a backend can split the response), Date, and the
/// fields the server adds for framing and the connection.
/// </summary>
internal static class Http1ResponseHeadWriter
{
    private static readonly SearchValues<char> s_tokenChars = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    // Visible ASCII, space and HTAB: a value with anything else (CR, LF, NUL, DEL, non-ASCII) is refused.
    private static readonly SearchValues<char> s_valueChars = SearchValues.Create(ValueChars());

    public static void Write(
        PipeWriter output,
        int status,
        string? reasonPhrase,
        HeaderDictionary headers,
        Http1ConnectionHeader connection,
        bool addChunked,
        bool addContentLengthZero)
    {
        var reason = string.IsNullOrEmpty(reasonPhrase) ? ReasonPhrases.GetReasonPhrase(status) : reasonPhrase;
        if (reason.AsSpan().ContainsAnyExcept(s_valueChars))
        {
            throw new InvalidOperationException("Invalid character in the reason phrase.");
        }

        // One pass to size the head, one to write it: one span from the output, one Advance.
        var length = 9 + 3 + 1 + reason.Length + 2;
        var hasDate = false;
        foreach (var (name, values) in headers)
        {
            // Checked when set already (Http1ResponseHeaders); checked again here, before anything is
            // written, because nothing that splits the response may reach the wire whatever set it.
            ValidateField(name, values);
            hasDate |= name.Equals(HeaderNames.Date, StringComparison.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                length += name.Length + 2 + value.Length + 2;
            }
        }

        var date = hasDate ? default : Http1DateHeader.Line;
        length += date.Length;
        if (addChunked)
        {
            length += TransferEncodingChunked.Length;
        }

        if (addContentLengthZero)
        {
            length += ContentLengthZero.Length;
        }

        length += connection switch
        {
            Http1ConnectionHeader.Close => ConnectionClose.Length,
            Http1ConnectionHeader.KeepAlive => ConnectionKeepAlive.Length,
            _ => 0,
        };
        length += 2;

        var span = output.GetSpan(length);
        var at = WriteStatusLine(span, status, reason);
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                at += Encoding.ASCII.GetBytes(name, span[at..]);
                span[at++] = (byte)':';
                span[at++] = (byte)' ';
                at += Encoding.ASCII.GetBytes(value, span[at..]);
                span[at++] = (byte)'\r';
                span[at++] = (byte)'\n';
            }
        }

        at += Copy(date, span[at..]);
        if (addChunked)
        {
            at += Copy(TransferEncodingChunked, span[at..]);
        }

        if (addContentLengthZero)
        {
            at += Copy(ContentLengthZero, span[at..]);
        }

        at += connection switch
        {
            Http1ConnectionHeader.Close => Copy(ConnectionClose, span[at..]),
            Http1ConnectionHeader.KeepAlive => Copy(ConnectionKeepAlive, span[at..]),
            _ => 0,
        };
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        output.Advance(at);
    }

    /// <summary>The answer to a head the server refused: no body, and the connection closes after it.</summary>
    public static void WriteRejection(PipeWriter output, int status)
    {
        var reason = ReasonPhrases.GetReasonPhrase(status);
        var date = Http1DateHeader.Line;
        var length = 9 + 3 + 1 + reason.Length + 2 + ContentLengthZero.Length + ConnectionClose.Length + date.Length + 2;
        var span = output.GetSpan(length);
        var at = WriteStatusLine(span, status, reason);
        at += Copy(ContentLengthZero, span[at..]);
        at += Copy(ConnectionClose, span[at..]);
        at += Copy(date, span[at..]);
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        output.Advance(at);
    }

    public static void WriteContinue(PipeWriter output)
    {
        "HTTP/1.1 100 Continue\r\n\r\n"u8.CopyTo(output.GetSpan(25));
        output.Advance(25);
    }

    /// <summary>Throws unless <paramref name="name"/> is a token and every value is visible ASCII, SP or HTAB.</summary>
    public static void ValidateField(string name, StringValues values)
    {
        if (name.Length == 0 || name.AsSpan().ContainsAnyExcept(s_tokenChars))
        {
            throw new InvalidOperationException($"Invalid response header name: '{name}'.");
        }

        foreach (var value in values)
        {
            if (value is not null && value.AsSpan().ContainsAnyExcept(s_valueChars))
            {
                throw new InvalidOperationException($"Invalid non-ASCII or control character in the value of response header '{name}'.");
            }
        }
    }

    public static bool HasChunkedTransferEncoding(HeaderDictionary headers)
    {
        if (!headers.TryGetValue(HeaderNames.TransferEncoding, out var values))
        {
            return false;
        }

        // Chunked must be the final coding; the server then does the chunking.
        var last = values.Count > 0 ? values[values.Count - 1] : null;
        if (last is null)
        {
            return false;
        }

        var comma = last.LastIndexOf(',');
        return last.AsSpan(comma + 1).Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase);
    }

    public static bool HasConnectionClose(HeaderDictionary headers)
    {
        if (!headers.TryGetValue(HeaderNames.Connection, out var values))
        {
            return false;
        }

        foreach (var value in values)
        {
            foreach (var token in new StringTokenizer(value ?? string.Empty, [',']))
            {
                if (token.Trim().Equals("close", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> TransferEncodingChunked => "Transfer-Encoding: chunked\r\n"u8;

    private static ReadOnlySpan<byte> ContentLengthZero => "Content-Length: 0\r\n"u8;

    private static ReadOnlySpan<byte> ConnectionClose => "Connection: close\r\n"u8;

    private static ReadOnlySpan<byte> ConnectionKeepAlive => "Connection: keep-alive\r\n"u8;

    /// <summary>"HTTP/1.1 {status} {reason}\r\n" (always 1.1, as Kestrel answers 1.0 clients too); the bytes written.</summary>
    private static int WriteStatusLine(Span<byte> span, int status, string reason)
    {
        "HTTP/1.1 "u8.CopyTo(span);
        var at = 9;
        Utf8Formatter.TryFormat(status, span[at..], out var digits);
        at += digits;
        span[at++] = (byte)' ';
        at += Encoding.ASCII.GetBytes(reason, span[at..]);
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        return at;
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    private static string ValueChars()
    {
        var chars = new StringBuilder("\t");
        for (var c = ' '; c <= '~'; c++)
        {
            chars.Append(c);
        }

        return chars.ToString();
    }
}
