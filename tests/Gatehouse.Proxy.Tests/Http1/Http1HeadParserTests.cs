using System.Text;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Http2;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Http1;

/// <summary>TryParse, rule by rule: what is accepted and what it yields, and the status of every refusal.</summary>
public sealed class Http1HeadParserTests
{
    private static readonly Http1Limits Limits = new();

    public static TheoryData<string, int> Refused => new()
    {
        // Request line.
        { "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
        { " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\nHost: a\r\n\r\n", 400 },
        { "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / \r\nHost: a\r\n\r\n", 400 },
        { "GET /\r\nHost: a\r\n\r\n", 400 },
        { "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505 },
        { "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
        { "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505 },
        { "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400 },

        // Targets.
        { "GET a HTTP/1.1\r\nHost: a\r\n\r\n", 405 },
        { "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET ?a HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 405 },
        { "GET example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405 },
        { "CONNECT example.com:443 HTTP/1.1\r\nHost: other:443\r\n\r\n", 400 },
        { "CONNECT example.com:443 HTTP/1.1\r\n\r\n", 400 },
        { "CONNECT a/b HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
        { "GET http://example.com/ HTTP/1.1\r\n\r\n", 400 },
        { "GET http://example.com/ HTTP/1.1\r\nHost: other.com\r\n\r\n", 400 },
        { "GET http://example.com:8080/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 400 },
        { "GET http://example.com/ HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", 400 },
        { "GET https://example.com/ HTTP/1.1\r\nHost: example.com:80\r\n\r\n", 400 },
        { "GET http://Example.com/ HTTP/1.1\r\nHost: Example.com\r\n\r\n", 400 },
        { "GET http://user@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 400 },
        { "GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET HTTP://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },

        // Fields.
        { "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0001c\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u007fc\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u00e9\r\n\r\n", 400 },

        // Host.
        { "GET / HTTP/1.1\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400 },
        { "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400 },
        { "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400 },

        // Content-Length.
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400 },

        // Transfer-Encoding.
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },

        // HTTP/1.0 POST or PUT must say how long its body is.
        { "POST / HTTP/1.0\r\n\r\n", 400 },
        { "PUT / HTTP/1.0\r\nHost: a\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void MalformedHeadIsRefusedWithItsStatus(string head, int status)
    {
        var (accepted, _, rejection) = Parse(head);

        Assert.False(accepted);
        Assert.Equal(status, rejection.StatusCode);
        Assert.False(string.IsNullOrEmpty(rejection.Reason));
    }

    [Fact]
    public void OriginFormRequestIsReadWhole()
    {
        var (accepted, request, _) = Parse(
            "GET /a/./b/../c%20d?x=1&y=%20 HTTP/1.1\r\nhost: example.com:8080\r\nuser-agent:  curl/8.5.0 \t\r\nAccept: */*\r\nX-Custom:\r\n\r\n");

        Assert.True(accepted);
        Assert.Same(HttpMethods.Get, request.Method);
        Assert.Equal("/a/./b/../c%20d?x=1&y=%20", request.RawTarget);
        Assert.Equal("/a/c d", request.Path);
        Assert.Equal("?x=1&y=%20", request.QueryString);
        Assert.True(request.IsHttp11);
        Assert.Equal("example.com:8080", request.Host);
        Assert.Equal("curl/8.5.0", request.Headers["User-Agent"]);
        Assert.Equal(string.Empty, request.Headers["X-Custom"].ToString());
        Assert.Equal(["Host", "User-Agent", "Accept", "X-Custom"], request.Headers.Keys);
        Assert.Equal(Http1BodyKind.None, request.BodyKind);
        Assert.True(request.KeepAlive);
        Assert.False(request.ExpectContinue);
        Assert.False(request.IsUpgrade);
    }

    [Theory]
    [InlineData("GET", "GET")]
    [InlineData("POST", "POST")]
    [InlineData("PUT", "PUT")]
    [InlineData("DELETE", "DELETE")]
    [InlineData("HEAD", "HEAD")]
    [InlineData("OPTIONS", "OPTIONS")]
    [InlineData("PATCH", "PATCH")]
    [InlineData("TRACE", "TRACE")]
    [InlineData("CONNECT", "CONNECT")]
    public void KnownMethodsAreTheSharedStrings(string method, string expected)
    {
        var (accepted, request, _) = Parse(method + " / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");

        Assert.True(accepted);
        Assert.Same(HttpMethods.GetCanonicalizedValue(expected), request.Method);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("PROPFIND")]
    [InlineData("M-SEARCH")]
    [InlineData("X!#$%&'*+.^_`|~1")]
    public void OtherTokenMethodsAreTakenAsSent(string method)
    {
        var (accepted, request, _) = Parse(method + " / HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.True(accepted);
        Assert.Equal(method, request.Method);
    }

    [Fact]
    public void KnownFieldNamesAreSharedStringsInTheirUsualSpellingAndOthersAsSent()
    {
        var first = Parse("GET / HTTP/1.1\r\nHOST: a\r\ncontent-TYPE: text/plain\r\nx-My-Field: 1\r\n\r\n").Request;
        var second = Parse("GET / HTTP/1.1\r\nhost: a\r\nContent-Type: text/plain\r\nx-My-Field: 1\r\n\r\n").Request;

        Assert.Equal(["Host", "Content-Type", "x-My-Field"], first.Headers.Keys);
        Assert.Same(first.Headers.Keys.ElementAt(0), second.Headers.Keys.ElementAt(0));
        Assert.Same(first.Headers.Keys.ElementAt(1), second.Headers.Keys.ElementAt(1));
    }

    [Fact]
    public void RepeatedFieldsAreJoinedAsValuesAndOnlyTheOuterWhitespaceIsTrimmed()
    {
        var request = Parse("GET / HTTP/1.1\r\nHost: a\r\nAccept: a\r\naccept:\tb \r\nCookie: x=1\r\nCookie: y=2\r\nX-A: a \t b\r\n\r\n").Request;

        Assert.Equal(new[] { "a", "b" }, request.Headers["Accept"].ToArray());
        Assert.Equal(new[] { "x=1", "y=2" }, request.Headers["Cookie"].ToArray());
        Assert.Equal("a \t b", request.Headers["X-A"]);
    }

    [Fact]
    public void ValuesMayCarryUtf8AndAreKeptByteForByte()
    {
        var head = Encoding.Latin1.GetBytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf");
        var bytes = head.Concat(Encoding.UTF8.GetBytes("\u00e9")).Concat(Encoding.ASCII.GetBytes("\r\n\r\n")).ToArray();

        var (accepted, request, _) = Parse(bytes);

        Assert.True(accepted);
        Assert.Equal("caf\u00c3\u00a9", request.Headers["X-A"]);
    }

    [Fact]
    public void AsteriskFormIsForOptions()
    {
        var request = Parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").Request;

        Assert.Equal("*", request.RawTarget);
        Assert.Equal(string.Empty, request.Path);
        Assert.Equal(string.Empty, request.QueryString);
    }

    [Theory]
    [InlineData("http://example.com/a/../b?q=1", "example.com", "/b", "?q=1", "example.com")]
    [InlineData("http://example.com", "example.com", "/", "", "example.com")]
    [InlineData("http://example.com?q", "example.com", "/", "?q", "example.com")]
    [InlineData("http://example.com/", "example.com:80", "/", "", "example.com:80")]
    [InlineData("http://example.com:80/", "example.com", "/", "", "example.com")]
    [InlineData("http://example.com:8080/x", "example.com:8080", "/x", "", "example.com:8080")]
    [InlineData("https://example.com/", "example.com:443", "/", "", "example.com:443")]
    [InlineData("https://example.com:443/", "example.com", "/", "", "example.com")]
    [InlineData("http://EXAMPLE.com/", "example.com", "/", "", "example.com")]
    [InlineData("http://127.0.0.1:81/", "127.0.0.1:81", "/", "", "127.0.0.1:81")]
    [InlineData("http://[::1]/", "[::1]", "/", "", "[::1]")]
    [InlineData("http://[::1]:81/", "[::1]:81", "/", "", "[::1]:81")]
    [InlineData("http://a/%2F", "a", "/%2F", "", "a")]
    public void AbsoluteFormTakesPathFromTheTargetAndNeedsAMatchingHost(string target, string host, string path, string query, string expectedHost)
    {
        var (accepted, request, rejection) = Parse($"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");

        Assert.True(accepted, rejection.Reason);
        Assert.Equal(target, request.RawTarget);
        Assert.Equal(path, request.Path);
        Assert.Equal(query, request.QueryString);
        Assert.Equal(expectedHost, request.Host);
    }

    [Fact]
    public void AbsoluteFormOnHttp10WithoutHostTakesTheTargetsAuthority()
    {
        var request = Parse("GET http://example.com:81/x HTTP/1.0\r\n\r\n").Request;

        Assert.Equal("example.com:81", request.Host);
        Assert.Equal("/x", request.Path);
    }

    [Fact]
    public void ConnectTakesAnAuthorityTargetThatTheHostRepeats()
    {
        var (accepted, request, _) = Parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");

        Assert.True(accepted);
        Assert.Same(HttpMethods.Connect, request.Method);
        Assert.Equal("example.com:443", request.RawTarget);
        Assert.Equal(string.Empty, request.Path);
        Assert.Equal("example.com:443", request.Host);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("example.com:65535")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]:8080")]
    [InlineData("a-b.c_d~e")]
    [InlineData("")]
    public void ValidHostIsTaken(string host)
    {
        var (accepted, request, _) = Parse($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");

        Assert.True(accepted);
        Assert.Equal(host, request.Host);
    }

    [Fact]
    public void Http10NeedsNoHost()
    {
        var request = Parse("GET / HTTP/1.0\r\n\r\n").Request;

        Assert.False(request.IsHttp11);
        Assert.Equal(string.Empty, request.Host);
        Assert.False(request.KeepAlive);
    }

    [Theory]
    [InlineData("0", 0, 0)]
    [InlineData("5", 1, 5)]
    [InlineData("9223372036854775807", 1, long.MaxValue)]
    public void ContentLengthFramesTheBodyAndStaysInTheHeaders(string value, int kind, long length)
    {
        var request = Parse($"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  {value} \r\n\r\n").Request;

        Assert.Equal((Http1BodyKind)kind, request.BodyKind);
        Assert.Equal(length, request.ContentLength);
        Assert.Equal(value, request.Headers["Content-Length"]);
        Assert.True(request.KeepAlive);
    }

    [Fact]
    public void ContentLengthWithLeadingZerosIsPassedOnAsTheNumber()
    {
        var request = Parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0042\r\n\r\n").Request;

        Assert.Equal(42, request.ContentLength);
        Assert.Equal("42", request.Headers["Content-Length"]);
    }

    [Fact]
    public void EmptyLinesBeforeTheRequestLineAreSkipped()
    {
        var (accepted, request, _) = Parse("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.True(accepted);
        Assert.Equal("/x", request.Path);
    }

    [Theory]
    [InlineData("chunked")]
    [InlineData("Chunked")]
    [InlineData("CHUNKED")]
    [InlineData(" \tchunked\t ")]
    public void ChunkedIsTheOneTransferCoding(string value)
    {
        var request = Parse($"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:{value}\r\n\r\n").Request;

        Assert.Equal(Http1BodyKind.Chunked, request.BodyKind);
        Assert.True(request.KeepAlive);
    }

    [Fact]
    public void TransferEncodingWinsOverContentLengthWhichMovesAsideAndTheConnectionCloses()
    {
        var request = Parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").Request;

        Assert.Equal(Http1BodyKind.Chunked, request.BodyKind);
        Assert.False(request.Headers.ContainsKey("Content-Length"));
        Assert.Equal("5", request.Headers["X-Content-Length"]);
        Assert.Equal("chunked", request.Headers["Transfer-Encoding"]);
        Assert.False(request.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1", "", true)]
    [InlineData("HTTP/1.1", "Connection: close\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: CLOSE\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: keep-alive, close\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: foo,close , bar\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: foo\r\nConnection: close\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: closed\r\n", true)]
    [InlineData("HTTP/1.1", "Connection: keep-alive\r\n", true)]
    [InlineData("HTTP/1.0", "", false)]
    [InlineData("HTTP/1.0", "Connection: keep-alive\r\n", true)]
    [InlineData("HTTP/1.0", "Connection: Keep-Alive\r\n", true)]
    [InlineData("HTTP/1.0", "Connection: te, keep-alive\r\n", true)]
    [InlineData("HTTP/1.0", "Connection: keep-alive, close\r\n", false)]
    [InlineData("HTTP/1.0", "Connection: keep-alived\r\n", false)]
    public void KeepAliveFollowsTheVersionAndTheConnectionTokens(string version, string fields, bool keepAlive)
    {
        var request = Parse($"GET / {version}\r\nHost: a\r\n{fields}\r\n").Request;

        Assert.Equal(keepAlive, request.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1", "Expect: 100-continue\r\n", true)]
    [InlineData("HTTP/1.1", "Expect: 100-Continue\r\n", true)]
    [InlineData("HTTP/1.1", "Expect: 100-continue, foo\r\n", false)]
    [InlineData("HTTP/1.1", "Expect: 100-continue\r\nExpect: 100-continue\r\n", false)]
    [InlineData("HTTP/1.1", "", false)]
    [InlineData("HTTP/1.0", "Expect: 100-continue\r\n", false)]
    public void ExpectContinueIsOneExactFieldOnHttp11(string version, string fields, bool expect)
    {
        var request = Parse($"POST / {version}\r\nHost: a\r\nContent-Length: 1\r\n{fields}\r\n").Request;

        Assert.Equal(expect, request.ExpectContinue);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, upgrade\r\nUpgrade: websocket\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\n", false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n", false)]
    public void UpgradeNeedsTheTokenTheFieldHttp11AndNoBody(string head, bool upgrade)
    {
        var (accepted, request, _) = Parse(head);

        Assert.True(accepted);
        Assert.Equal(upgrade, request.IsUpgrade);
    }

    [Fact]
    public void FieldCountAtTheLimitIsTakenAndOneMoreIs431()
    {
        var atLimit = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(1, Limits.MaxRequestHeaderCount - 1).Select(i => $"X-{i}: v\r\n"));

        Assert.True(Parse(atLimit + "\r\n").Accepted);
        var (accepted, _, rejection) = Parse(atLimit + "X-Over: v\r\n\r\n");
        Assert.False(accepted);
        Assert.Equal(431, rejection.StatusCode);
    }

    [Fact]
    public void SizesAtTheLimitsAreTakenAndOneByteMoreIsRefused()
    {
        var line = Http1HeadScanTests.RequestLine(Limits.MaxRequestLineSize);
        Assert.True(Parse(line + "Host: a\r\n\r\n").Accepted);
        Assert.Equal(414, Parse(Http1HeadScanTests.RequestLine(Limits.MaxRequestLineSize + 1) + "Host: a\r\n\r\n").Rejection.StatusCode);

        Assert.True(Parse("GET / HTTP/1.1\r\n" + Http1HeadScanTests.Fields(Limits.MaxRequestHeadersTotalSize) + "\r\n").Accepted);
        Assert.Equal(431, Parse("GET / HTTP/1.1\r\n" + Http1HeadScanTests.Fields(Limits.MaxRequestHeadersTotalSize + 1) + "\r\n").Rejection.StatusCode);
    }

    [Fact]
    public void ARepeatedTargetReusesItsStrings()
    {
        var strings = new Http2FieldStrings();
        var request = new Http1RequestHead();
        var head = Encoding.ASCII.GetBytes("GET /api/items?page=2 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.True(Http1HeadParser.TryParse(head, request, strings, Limits, out _));
        var (raw, path, query) = (request.RawTarget, request.Path, request.QueryString);

        request.Reset();
        Assert.True(Http1HeadParser.TryParse(head, request, strings, Limits, out _));

        Assert.Same(raw, request.RawTarget);
        Assert.Same(path, request.Path);
        Assert.Same(query, request.QueryString);
    }

    internal static (bool Accepted, Http1RequestHead Request, Http1Rejection Rejection) Parse(string head)
        => Parse(Encoding.Latin1.GetBytes(head));

    internal static (bool Accepted, Http1RequestHead Request, Http1Rejection Rejection) Parse(byte[] head)
    {
        var request = new Http1RequestHead();
        var accepted = Http1HeadParser.TryParse(head, request, new Http2FieldStrings(), Limits, out var rejection);
        return (accepted, request, rejection);
    }
}
