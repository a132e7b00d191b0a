using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Http2;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// Reads an HTTP/1.1 request head (RFC 9112) strictly. It mirrors what Kestrel's HTTP/1.1 parser accepts
/// and produces, with bare LF refused as the proxy configured Kestrel to (DisableHttp1LineFeedTerminators),
/// and is stricter wherever leniency lets two parsers read one request differently. A real Kestrel is the
/// reference (Http1HeadParserKestrelTests); these are the intentional differences from it:
/// <list type="bullet">
/// <item>Exactly one SP between method, target and version: Kestrel skips extra spaces before the version.</item>
/// <item>A version of eight bytes that is not HTTP/DIGIT.DIGIT ("http/1.1", "HTTP/1.x") is 400; Kestrel
/// answers 505 for every unknown version. Well-formed unknown versions are 505 in both.</item>
/// <item>Targets: only visible ASCII except '#' (see <see cref="Http2RequestTarget"/>, which also decodes
/// the path); Kestrel also takes HTAB, DEL and some controls.</item>
/// <item>Absolute-form: no userinfo, and the path is decoded like an origin-form path, so
/// "http://h/a%2Fb" and "/a%2Fb" route alike; Kestrel uses System.Uri's LocalPath, which decodes %2F and
/// normalises differently. The Host field must name the target's authority as Kestrel requires (host as
/// System.Uri lowercases it, port as written or, for the scheme's default port, left out), but the
/// authority is compared as written, so an IPv6 literal Uri would canonicalise must be sent canonical.</item>
/// <item>Empty lines before the request line are skipped only as whole CRLFs; Kestrel also skips a lone
/// CR or LF there.</item>
/// <item>Field names must be tokens: Kestrel takes "X(A)" or "X@A" as a name.</item>
/// <item>Content-Length is 1*DIGIT: Kestrel also takes "+1". A padded "0042" is passed on as "42", as
/// Kestrel shows it.</item>
/// <item>HTTP/1.0 without a Host field: <see cref="Http1RequestHead.Host"/> is the absolute- or
/// authority-form target's authority; Kestrel's Request.Host is empty.</item>
/// <item>Field values: controls other than HTAB and DEL are refused (Kestrel refuses only NUL, CR and LF).
/// Bytes above 0x7F must form UTF-8, as Kestrel requires, but are kept as Latin-1 strings (one char per
/// byte) like every header string in the proxy, so they reach the backend unchanged.</item>
/// <item>Transfer-Encoding must be exactly one field "chunked" (any case): Kestrel takes any list whose
/// final coding is chunked ("gzip, chunked", "chunked, chunked", or two fields). Any Transfer-Encoding on
/// HTTP/1.0 is refused (RFC 9112 6.1: that framing is faulty); Kestrel reads it as chunked. All 400.</item>
/// <item>Transfer-Encoding with Content-Length: Transfer-Encoding wins and Content-Length is moved to
/// X-Content-Length, as Kestrel does; in addition the connection is not kept alive (RFC 9112 6.3).</item>
/// <item>Upgrade (<see cref="Http1RequestHead.IsUpgrade"/>) also needs HTTP/1.1 and an Upgrade field:
/// Kestrel's IsUpgradableRequest needs only the Connection token and no body (RFC 9110 7.8 has a
/// server ignore Upgrade on HTTP/1.0).</item>
/// <item>A Host port has at most five digits, and "[::]" is refused (<see cref="Http2FieldValidation.IsValidAuthority"/>).</item>
/// <item>CONNECT is parsed as Kestrel parses it (authority-form, Path and QueryString empty, Host equal to
/// the target); the proxy tunnels nothing, so what to answer is the server's decision, not the parser's.</item>
/// </list>
/// Limits are Kestrel's: the request line with its CRLF may be <see cref="Http1Limits.MaxRequestLineSize"/>
/// bytes (414 beyond); the field lines after it, their CRLFs included and the final empty line not, may be
/// <see cref="Http1Limits.MaxRequestHeadersTotalSize"/> bytes (431 beyond), and there may be
/// <see cref="Http1Limits.MaxRequestHeaderCount"/> fields (431 beyond).
/// </summary>
internal static class Http1HeadParser
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';

    // RFC 9110 tchar: method and field-name bytes.
    private static readonly SearchValues<byte> s_tokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // field-vchar, SP and HTAB (RFC 9110 5.5); no other control and no DEL.
    private static readonly SearchValues<byte> s_valueBytes = Http2FieldValidation.ValueBytesSet;

    private static readonly SearchValues<byte> s_lineEnds = SearchValues.Create("\r\n"u8);

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    private static ReadOnlySpan<byte> Whitespace => " \t"u8;

    /// <summary>
    /// Looks for the empty line that ends the head in the bytes received so far. <paramref name="scanned"/>
    /// starts at 0 for a new head and is kept by the caller between calls on a growing buffer, so bytes
    /// already searched are not searched again. Besides the limits, a bare LF or a CR not followed by LF
    /// is refused as soon as it arrives, so a client using bare LF line ends gets its 400 at once instead
    /// of waiting for a CRLF CRLF it will never send.
    /// </summary>
    public static Http1HeadScan FindHeadEnd(
        in ReadOnlySequence<byte> buffer,
        ref long scanned,
        Http1Limits limits,
        out long headLength,
        out Http1Rejection rejection)
    {
        headLength = 0;
        rejection = default;

        // Empty lines before the request line are skipped (see TryParse); only whole CRLFs in the first
        // segment are, which is where a client's stray CRLF after the previous request's body lands.
        var leading = LeadingEmptyLines(buffer.FirstSpan);
        var searchFrom = Math.Max(leading, scanned - 3);
        long end;
        if (buffer.IsSingleSegment)
        {
            var at = buffer.FirstSpan[(int)searchFrom..].IndexOf(HeadEnd);
            end = at < 0 ? -1 : searchFrom + at + HeadEnd.Length;
        }
        else
        {
            end = FindHeadEndAcrossSegments(buffer.Slice(searchFrom));
            end = end < 0 ? -1 : searchFrom + end;
        }

        // Judged on the head when it is complete, else on what has arrived: the same verdict either way
        // once enough bytes are in.
        var available = end < 0 ? buffer.Length : end;
        // The skipped empty lines count towards the request line's limit, so they cannot be endless.
        var lineBudget = limits.MaxRequestLineSize - leading;
        var lineLength = lineBudget <= 0 ? -1 : RequestLineLength(buffer.Slice(leading), Math.Min(available - leading, lineBudget));
        if (lineLength < 0)
        {
            if (available >= limits.MaxRequestLineSize)
            {
                return RejectScan(414, "request line too long", out rejection);
            }
        }
        else if (available - leading - lineLength > (long)limits.MaxRequestHeadersTotalSize + 2
            || (end < 0 && available - leading - lineLength >= (long)limits.MaxRequestHeadersTotalSize + 2))
        {
            // Without its end, a head already holding the whole field budget can no longer end within it.
            return RejectScan(431, "request header fields too large", out rejection);
        }

        if (end >= 0)
        {
            headLength = end;
            return Http1HeadScan.Complete;
        }

        if (!LineEndsAreCrlf(buffer, scanned))
        {
            return RejectScan(400, "line not ended by CRLF", out rejection);
        }

        scanned = buffer.Length;
        return Http1HeadScan.Incomplete;
    }

    /// <summary>
    /// Parses a complete head, CRLF CRLF included, into <paramref name="target"/> (reset by the caller).
    /// False with the status to answer when the request must be refused; the connection is then closed,
    /// because after a malformed head nothing says where the next request would start.
    /// </summary>
    public static bool TryParse(
        ReadOnlySpan<byte> head,
        Http1RequestHead target,
        Http2FieldStrings strings,
        Http1Limits limits,
        out Http1Rejection rejection)
    {
        // RFC 9112 2.2: empty lines before the request line are ignored, as Kestrel does (a client may send
        // a CRLF after a body); they count towards the request line's limit.
        var leading = LeadingEmptyLines(head);
        head = head[leading..];
        var lineEnd = head.IndexOf(LF);
        if (lineEnd < 1 || head[lineEnd - 1] != CR)
        {
            return Reject(400, "request line not ended by CRLF", out rejection);
        }

        if (leading + lineEnd + 1 > limits.MaxRequestLineSize)
        {
            return Reject(414, "request line too long", out rejection);
        }

        var line = head[..(lineEnd - 1)];

        // method SP request-target SP HTTP-version, one SP each.
        var methodEnd = line.IndexOf((byte)' ');
        if (methodEnd <= 0 || line[..methodEnd].ContainsAnyExcept(s_tokenBytes))
        {
            return Reject(400, "invalid method", out rejection);
        }

        var afterMethod = line[(methodEnd + 1)..];
        var targetEnd = afterMethod.IndexOf((byte)' ');
        if (targetEnd <= 0)
        {
            return Reject(400, "invalid request line", out rejection);
        }

        var rawTarget = afterMethod[..targetEnd];
        if (!TryParseVersion(afterMethod[(targetEnd + 1)..], target, out rejection))
        {
            return false;
        }

        var methodBytes = line[..methodEnd];
        var method = Http1KnownMethods.Find(methodBytes) ?? strings.Get(methodBytes);
        target.Method = method;

        var form = TargetForm.Origin;
        var authority = ReadOnlySpan<byte>.Empty;
        var defaultPort = 0;
        if (rawTarget[0] == (byte)'/')
        {
            if (!TrySetOriginTarget(rawTarget, target))
            {
                return Reject(400, "invalid request target", out rejection);
            }
        }
        else if (rawTarget.Length == 1 && rawTarget[0] == (byte)'*')
        {
            // Asterisk-form is only for a server-wide OPTIONS (RFC 9112 3.2.4); 405 otherwise, as Kestrel.
            if (!ReferenceEquals(method, HttpMethods.Options))
            {
                return Reject(405, "asterisk-form target without OPTIONS", out rejection);
            }

            form = TargetForm.Asterisk;
            target.RawTarget = "*";
        }
        else if (TrySplitAbsoluteTarget(rawTarget, out authority, out defaultPort, out var pathAndQuery))
        {
            // What Kestrel calls an absolute target: "http://" or "https://", in lowercase, as it matches them.
            if (!Http2FieldValidation.IsValidAuthority(authority) || !TrySetAbsolutePath(pathAndQuery, target))
            {
                return Reject(400, "invalid absolute-form target", out rejection);
            }

            form = TargetForm.Absolute;
            target.RawTarget = Encoding.Latin1.GetString(rawTarget);
        }
        else
        {
            // Anything else is authority-form, which only CONNECT may use (RFC 9112 3.2.3); Kestrel answers
            // 405 for another method (400 for a target no authority could be), and so do we.
            if (!Http2FieldValidation.IsValidAuthority(rawTarget))
            {
                return Reject(400, "invalid request target", out rejection);
            }

            if (!ReferenceEquals(method, HttpMethods.Connect))
            {
                return Reject(405, "authority-form target without CONNECT", out rejection);
            }

            form = TargetForm.Authority;
            authority = rawTarget;
            target.RawTarget = strings.Get(rawTarget);
        }

        var fields = new FieldFacts();
        if (!TryParseFields(head[(lineEnd + 1)..], target, strings, limits, ref fields, out rejection))
        {
            return false;
        }

        return TryApplyHost(target, form, authority, defaultPort, ref fields, out rejection)
            && TryApplyFraming(target, ref fields, out rejection);
    }

    private static bool TryParseVersion(ReadOnlySpan<byte> version, Http1RequestHead target, out Http1Rejection rejection)
    {
        rejection = default;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            target.IsHttp11 = true;
            return true;
        }

        if (version.SequenceEqual("HTTP/1.0"u8))
        {
            target.IsHttp11 = false;
            return true;
        }

        // HTTP/DIGIT.DIGIT is a version we do not speak; anything else is not a request line at all.
        var wellFormed = version.Length == 8
            && version.StartsWith("HTTP/"u8)
            && char.IsAsciiDigit((char)version[5])
            && version[6] == (byte)'.'
            && char.IsAsciiDigit((char)version[7]);
        return wellFormed
            ? Reject(505, "HTTP version not supported", out rejection)
            : Reject(400, "invalid HTTP version", out rejection);
    }

    private static bool TrySetOriginTarget(ReadOnlySpan<byte> rawTarget, Http1RequestHead target)
    {
        if (rawTarget.Length == 1)
        {
            target.RawTarget = "/";
            target.Path = "/";
            target.QueryString = string.Empty;
            return true;
        }

        if (target.LastOriginTarget is { } last && Latin1Text.EqualsBytes(last.Raw, rawTarget))
        {
            (target.RawTarget, target.Path, target.QueryString) = last;
            return true;
        }

        if (!Http2RequestTarget.TryParse(rawTarget, out var path, out var query))
        {
            return false;
        }

        // Http2RequestTarget refused everything but visible ASCII, so Latin-1 is the exact text.
        var raw = Encoding.Latin1.GetString(rawTarget);
        target.RawTarget = raw;
        target.Path = path;
        target.QueryString = query;
        target.LastOriginTarget = (raw, path, query);
        return true;
    }

    private static bool TrySplitAbsoluteTarget(
        ReadOnlySpan<byte> rawTarget,
        out ReadOnlySpan<byte> authority,
        out int defaultPort,
        out ReadOnlySpan<byte> pathAndQuery)
    {
        ReadOnlySpan<byte> rest;
        if (rawTarget.StartsWith("http://"u8))
        {
            rest = rawTarget[7..];
            defaultPort = 80;
        }
        else if (rawTarget.StartsWith("https://"u8))
        {
            rest = rawTarget[8..];
            defaultPort = 443;
        }
        else
        {
            authority = default;
            pathAndQuery = default;
            defaultPort = 0;
            return false;
        }

        var authorityEnd = rest.IndexOfAny((byte)'/', (byte)'?');
        authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        pathAndQuery = authorityEnd < 0 ? default : rest[authorityEnd..];
        return true;
    }

    private static bool TrySetAbsolutePath(ReadOnlySpan<byte> pathAndQuery, Http1RequestHead target)
    {
        if (pathAndQuery.IsEmpty)
        {
            target.Path = "/";
            target.QueryString = string.Empty;
            return true;
        }

        if (pathAndQuery[0] == (byte)'/')
        {
            if (!Http2RequestTarget.TryParse(pathAndQuery, out var path, out var query))
            {
                return false;
            }

            target.Path = path;
            target.QueryString = query;
            return true;
        }

        // "http://host?q": an empty path is "/" (RFC 9110 4.2.3), the query is kept raw.
        if (pathAndQuery.ContainsAnyExcept(Http2FieldValidation.TargetByteValues))
        {
            return false;
        }

        target.Path = "/";
        target.QueryString = Encoding.Latin1.GetString(pathAndQuery);
        return true;
    }

    private static bool TryParseFields(
        ReadOnlySpan<byte> section,
        Http1RequestHead target,
        Http2FieldStrings strings,
        Http1Limits limits,
        ref FieldFacts facts,
        out Http1Rejection rejection)
    {
        // Kestrel's budget: the field lines and the final CRLF may take the limit plus those two bytes.
        if (section.Length > (long)limits.MaxRequestHeadersTotalSize + 2)
        {
            return Reject(431, "request header fields too large", out rejection);
        }

        rejection = default;
        var count = 0;
        while (true)
        {
            var lf = section.IndexOf(LF);
            if (lf < 1 || section[lf - 1] != CR)
            {
                return Reject(400, "header line not ended by CRLF", out rejection);
            }

            var line = section[..(lf - 1)];
            section = section[(lf + 1)..];
            if (line.IsEmpty)
            {
                // The head given must end here: bytes after the empty line belong to no head.
                return section.IsEmpty || Reject(400, "bytes after the end of the head", out rejection);
            }

            if (line.Contains(CR))
            {
                return Reject(400, "CR inside a header line", out rejection);
            }

            var colon = line.IndexOf((byte)':');

            // No colon, an empty name, a name with whitespace (before the colon, or a line starting with
            // SP or HTAB: obs-fold) or with any other non-token byte.
            if (colon <= 0 || line[..colon].ContainsAnyExcept(s_tokenBytes))
            {
                return Reject(400, "invalid header line", out rejection);
            }

            var nameBytes = line[..colon];
            var valueBytes = line[(colon + 1)..].Trim(Whitespace);
            if (valueBytes.ContainsAnyExcept(s_valueBytes) || !Utf8.IsValid(valueBytes))
            {
                return Reject(400, "invalid header value", out rejection);
            }

            if (++count > limits.MaxRequestHeaderCount)
            {
                return Reject(431, "too many request header fields", out rejection);
            }

            var known = Http1KnownHeaderNames.Find(nameBytes);
            var value = strings.Get(valueBytes);
            if (known is not null && !facts.Note(known, valueBytes, out rejection))
            {
                return false;
            }

            target.Headers.AddField(known ?? strings.Get(nameBytes), value);
        }
    }

    private static bool TryApplyHost(
        Http1RequestHead target,
        TargetForm form,
        ReadOnlySpan<byte> authority,
        int defaultPort,
        ref FieldFacts facts,
        out Http1Rejection rejection)
    {
        rejection = default;
        if (facts.HostCount > 1)
        {
            return Reject(400, "more than one Host field", out rejection);
        }

        if (facts.HostCount == 0)
        {
            // HTTP/1.0 predates Host; the authority of an absolute or authority-form target still names one.
            if (target.IsHttp11)
            {
                return Reject(400, "no Host field", out rejection);
            }

            target.Host = form is TargetForm.Absolute or TargetForm.Authority ? Encoding.Latin1.GetString(authority) : string.Empty;
            return true;
        }

        var host = facts.HostBytes;
        var valid = form switch
        {
            // CONNECT: the Host field must repeat the target (Kestrel compares them as strings).
            TargetForm.Authority => host.SequenceEqual(authority),
            TargetForm.Absolute => Http2FieldValidation.IsValidAuthority(host) && HostMatchesAbsoluteAuthority(host, authority, defaultPort),

            // Empty is allowed: RFC 9112 3.2 for a target without authority, and Kestrel takes it.
            _ => host.IsEmpty || Http2FieldValidation.IsValidAuthority(host),
        };

        if (!valid)
        {
            return Reject(400, "invalid Host field", out rejection);
        }

        // The string the Headers already hold for it (the per-connection cache hands the same one back).
        target.Host = target.Headers[HeaderNames.Host].ToString();
        return true;
    }

    private static bool TryApplyFraming(Http1RequestHead target, ref FieldFacts facts, out Http1Rejection rejection)
    {
        rejection = default;
        var keepAlive = (target.IsHttp11 || facts.ConnectionKeepAlive) && !facts.ConnectionClose;

        if (facts.TransferEncodingCount > 0)
        {
            if (!target.IsHttp11)
            {
                return Reject(400, "Transfer-Encoding on HTTP/1.0", out rejection);
            }

            // Only "chunked" itself: any other coding or list is a framing the backend might read otherwise.
            if (facts.TransferEncodingCount > 1 || !facts.TransferEncodingIsChunked)
            {
                return Reject(400, "Transfer-Encoding other than chunked", out rejection);
            }

            target.BodyKind = Http1BodyKind.Chunked;
            if (facts.ContentLengthCount > 0)
            {
                // RFC 9112 6.3: Transfer-Encoding wins and Content-Length must not be forwarded. Kestrel keeps
                // it as X-Content-Length, and so do we; the request may be an attack, so nothing follows it.
                var contentLength = target.Headers[HeaderNames.ContentLength];
                target.Headers.Remove(HeaderNames.ContentLength);
                target.Headers.AddField("X-Content-Length", contentLength.ToString());
                keepAlive = false;
            }
        }
        else if (facts.ContentLengthCount > 0)
        {
            if (facts.ContentLengthPadded)
            {
                // "007" is 7, and Kestrel shows the application (and so the backend) the number, not the text.
                target.Headers[HeaderNames.ContentLength] = facts.ContentLength.ToString(CultureInfo.InvariantCulture);
            }

            target.ContentLength = facts.ContentLength;
            target.BodyKind = facts.ContentLength == 0 ? Http1BodyKind.None : Http1BodyKind.ContentLength;
        }
        else if (!target.IsHttp11 && (ReferenceEquals(target.Method, HttpMethods.Post) || ReferenceEquals(target.Method, HttpMethods.Put)))
        {
            // As Kestrel: an HTTP/1.0 POST or PUT without framing would have its body end at connection close.
            return Reject(400, "HTTP/1.0 POST or PUT without Content-Length", out rejection);
        }

        target.KeepAlive = keepAlive;
        target.ExpectContinue = target.IsHttp11 && facts.ExpectContinue;
        target.IsUpgrade = target.IsHttp11
            && facts.ConnectionUpgrade
            && facts.HasUpgrade
            && target.BodyKind == Http1BodyKind.None
            && facts.TransferEncodingCount == 0;
        return true;
    }

    /// <summary>
    /// Kestrel's rule for an absolute-form target: the Host field is the target's authority as System.Uri
    /// gives it (host lowercased, default port left out), or that host with the default port written out.
    /// </summary>
    private static bool HostMatchesAbsoluteAuthority(ReadOnlySpan<byte> host, ReadOnlySpan<byte> authority, int defaultPort)
    {
        SplitHostPort(authority, out var targetHost, out var targetPortText);
        var targetPort = defaultPort;
        if (!targetPortText.IsEmpty
            && (!int.TryParse(targetPortText, NumberStyles.None, CultureInfo.InvariantCulture, out targetPort) || targetPort > 65535))
        {
            return false;
        }

        SplitHostPort(host, out var hostName, out var hostPort);
        if (hostName.Length != targetHost.Length)
        {
            return false;
        }

        for (var i = 0; i < hostName.Length; i++)
        {
            if (hostName[i] != (byte)char.ToLowerInvariant((char)targetHost[i]))
            {
                return false;
            }
        }

        if (hostPort.IsEmpty)
        {
            return targetPort == defaultPort;
        }

        Span<byte> canonicalPort = stackalloc byte[5];
        return targetPort.TryFormat(canonicalPort, out var written, provider: CultureInfo.InvariantCulture)
            && hostPort.SequenceEqual(canonicalPort[..written]);
    }

    private static void SplitHostPort(ReadOnlySpan<byte> authority, out ReadOnlySpan<byte> host, out ReadOnlySpan<byte> port)
    {
        var colon = authority[0] == (byte)'[' ? authority.IndexOf("]:"u8) + 1 : authority.IndexOf((byte)':');
        host = colon > 0 ? authority[..colon] : authority;
        port = colon > 0 ? authority[(colon + 1)..] : default;
    }

    /// <summary>How many bytes of CRLF pairs <paramref name="bytes"/> starts with.</summary>
    private static int LeadingEmptyLines(ReadOnlySpan<byte> bytes)
    {
        var length = 0;
        while (bytes.Length - length >= 2 && bytes[length] == CR && bytes[length + 1] == LF)
        {
            length += 2;
        }

        return length;
    }

    /// <summary>Length of the request line with its LF, if an LF is among the first <paramref name="limit"/> bytes; else -1.</summary>
    private static long RequestLineLength(in ReadOnlySequence<byte> buffer, long limit)
    {
        if (buffer.IsSingleSegment)
        {
            var at = buffer.FirstSpan[..(int)limit].IndexOf(LF);
            return at < 0 ? -1 : at + 1;
        }

        var slice = buffer.Slice(0, limit);
        var position = slice.PositionOf(LF);
        return position is { } found ? slice.Slice(0, found).Length + 1 : -1;
    }

    /// <summary>Offset just past the first CRLF CRLF in a buffer of several segments, or -1.</summary>
    private static long FindHeadEndAcrossSegments(in ReadOnlySequence<byte> buffer)
    {
        // matched: how many bytes of CRLF CRLF the data before the current segment ends with.
        var matched = 0;
        long offset = 0;
        foreach (var memory in buffer)
        {
            var span = memory.Span;

            // A match begun in earlier segments ends within this one's first three bytes.
            var state = matched;
            for (var i = 0; state > 0 && i < Math.Min(3, span.Length); i++)
            {
                state = Step(state, span[i]);
                if (state == 4)
                {
                    return offset + i + 1;
                }
            }

            var at = span.IndexOf(HeadEnd);
            if (at >= 0)
            {
                return offset + at + HeadEnd.Length;
            }

            if (span.Length >= 3)
            {
                matched = 0;
                foreach (var b in span[^3..])
                {
                    matched = Step(matched, b);
                }
            }
            else
            {
                foreach (var b in span)
                {
                    matched = Step(matched, b);
                }
            }

            offset += span.Length;
        }

        return -1;
    }

    /// <summary>One byte through a matcher for CRLF CRLF: how many of its bytes the input now ends with.</summary>
    private static int Step(int matched, byte b) => (matched, b) switch
    {
        (0 or 2, CR) => matched + 1,
        (1 or 3, LF) => matched + 1,
        (_, CR) => 1,
        _ => 0,
    };

    /// <summary>Whether every CR and LF from <paramref name="from"/> on is part of a CRLF (a CR at the very end may still be).</summary>
    private static bool LineEndsAreCrlf(in ReadOnlySequence<byte> buffer, long from)
    {
        var previous = from > 0 ? buffer.Slice(from - 1, 1).FirstSpan[0] : (byte)0;
        foreach (var memory in buffer.Slice(from))
        {
            var span = memory.Span;
            if (span.IsEmpty)
            {
                continue;
            }

            if (previous == CR && span[0] != LF)
            {
                return false;
            }

            var i = 0;
            while (true)
            {
                var hit = span[i..].IndexOfAny(s_lineEnds);
                if (hit < 0)
                {
                    break;
                }

                var at = i + hit;
                if (span[at] == LF)
                {
                    if ((at == 0 ? previous : span[at - 1]) != CR)
                    {
                        return false;
                    }
                }
                else if (at + 1 < span.Length && span[at + 1] != LF)
                {
                    return false;
                }

                i = at + 1;
            }

            previous = span[^1];
        }

        return true;
    }

    private static bool Reject(int status, string reason, out Http1Rejection rejection)
    {
        rejection = new Http1Rejection(status, reason);
        return false;
    }

    private static Http1HeadScan RejectScan(int status, string reason, out Http1Rejection rejection)
    {
        rejection = new Http1Rejection(status, reason);
        return Http1HeadScan.Rejected;
    }

    private enum TargetForm
    {
        Origin,
        Asterisk,
        Absolute,
        Authority,
    }

    /// <summary>What the fields said about the Host, framing and the connection, gathered in one pass.</summary>
    private ref struct FieldFacts
    {
        public int HostCount;
        public ReadOnlySpan<byte> HostBytes;
        public int ContentLengthCount;
        public long ContentLength;
        public bool ContentLengthPadded;
        public int TransferEncodingCount;
        public bool TransferEncodingIsChunked;
        public bool ConnectionClose;
        public bool ConnectionKeepAlive;
        public bool ConnectionUpgrade;
        public bool HasUpgrade;
        public bool ExpectContinue;
        public int ExpectCount;

        /// <summary>Takes note of a known field; false when its value alone makes the request malformed.</summary>
        public bool Note(string name, ReadOnlySpan<byte> bytes, out Http1Rejection rejection)
        {
            rejection = default;
            if (ReferenceEquals(name, HeaderNames.Host))
            {
                HostCount++;
                HostBytes = bytes;
            }
            else if (ReferenceEquals(name, HeaderNames.ContentLength))
            {
                // 1*DIGIT only: no sign, no whitespace inside, no "5, 5" list, no overflow; and only once.
                if (++ContentLengthCount > 1)
                {
                    return Reject(400, "more than one Content-Length field", out rejection);
                }

                if (bytes.IsEmpty
                    || bytes.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                    || !long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out ContentLength))
                {
                    return Reject(400, "invalid Content-Length", out rejection);
                }

                ContentLengthPadded = bytes.Length > 1 && bytes[0] == (byte)'0';
            }
            else if (ReferenceEquals(name, HeaderNames.TransferEncoding))
            {
                TransferEncodingCount++;
                TransferEncodingIsChunked = Ascii.EqualsIgnoreCase(bytes, "chunked"u8);
            }
            else if (ReferenceEquals(name, HeaderNames.Connection))
            {
                NoteConnectionTokens(bytes);
            }
            else if (ReferenceEquals(name, HeaderNames.Upgrade))
            {
                HasUpgrade = true;
            }
            else if (ReferenceEquals(name, HeaderNames.Expect))
            {
                // As Kestrel: only a single Expect field that is exactly 100-continue asks for a 100.
                ExpectContinue = ++ExpectCount == 1 && Ascii.EqualsIgnoreCase(bytes, "100-continue"u8);
            }

            return true;
        }

        private void NoteConnectionTokens(ReadOnlySpan<byte> list)
        {
            foreach (var range in list.Split((byte)','))
            {
                var token = list[range].Trim(Whitespace);
                if (Ascii.EqualsIgnoreCase(token, "close"u8))
                {
                    ConnectionClose = true;
                }
                else if (Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
                {
                    ConnectionKeepAlive = true;
                }
                else if (Ascii.EqualsIgnoreCase(token, "upgrade"u8))
                {
                    ConnectionUpgrade = true;
                }
            }
        }
    }
}
