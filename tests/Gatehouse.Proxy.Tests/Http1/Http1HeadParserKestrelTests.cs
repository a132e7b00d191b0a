using System.Text;
using Gatehouse.Proxy.Http1;
using Gatehouse.Proxy.Http2;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// The differential test behind <see cref="Http1HeadParser"/>: each head goes to a real Kestrel (bare LF
/// refused, as the proxy runs it) and to TryParse. Both must accept or both refuse, with the same status;
/// where both accept, the method, path, query, host and every header value must be the same. The heads
/// where the parser is stricter on purpose are listed apart, each with its reason, and checked both ways:
/// Kestrel still takes them and the parser still does not.
/// </summary>
public sealed class Http1HeadParserKestrelTests(KestrelHeadProbe kestrel) : IClassFixture<KestrelHeadProbe>
{
    private const string H = "Host: gatehouse.test\r\n";

    public static TheoryData<string> SameAsKestrel()
    {
        var heads = new TheoryData<string>();

        // A head listed twice would be one test case dropped by xunit (duplicate id): each goes in once.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string head)
        {
            if (seen.Add(head))
            {
                heads.Add(head);
            }
        }

        // Methods, known and not, on both versions.
        foreach (var method in new[] { "GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "M-SEARCH", "get", "Get", "X_Y", "A!#$%&'*+.^`|~" })
        {
            Add($"{method} / HTTP/1.1\r\n{H}\r\n");
            Add($"{method} /x?y HTTP/1.0\r\n\r\n");
        }

        foreach (var method in new[] { "POST", "PUT", "PATCH" })
        {
            Add($"{method} /p HTTP/1.1\r\n{H}Content-Length: 3\r\n\r\n");
            Add($"{method} /p HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
        }

        Add($"PATCH /p HTTP/1.1\r\n{H}\r\n");
        Add("POST / HTTP/1.0\r\n\r\n");
        Add("PUT / HTTP/1.0\r\nHost: a\r\n\r\n");

        // Request lines Kestrel refuses too.
        Add($"G@T / HTTP/1.1\r\n{H}\r\n");
        Add($"GET  / HTTP/1.1\r\n{H}\r\n");
        Add($" GET / HTTP/1.1\r\n{H}\r\n");
        Add($"GET\t/ HTTP/1.1\r\n{H}\r\n");
        Add($"GET / HTTP/1.1 \r\n{H}\r\n");
        Add($"GET /\r\n{H}\r\n");
        Add($"GET / \r\n{H}\r\n");
        Add($"GET\r\n{H}\r\n");
        Add($"\r\nGET / HTTP/1.1\r\n{H}\r\n");
        Add($"\r\n\r\n\r\nGET / HTTP/1.1\r\n{H}\r\n");
        Add($"GET / HTTP/1.1\n{H}\r\n");
        Add($"GET /a\0 HTTP/1.1\r\n{H}\r\n");
        Add($"GET / HTTP/1.10\r\n{H}\r\n");
        Add($"GET / HTTP/1\r\n{H}\r\n");
        Add($"GET / HTTP/1.2\r\n{H}\r\n");
        Add($"GET / HTTP/2.0\r\n{H}\r\n");
        Add($"GET / HTTP/0.9\r\n{H}\r\n");
        Add($"GET / HTTP/3.0\r\n{H}\r\n");

        // Origin-form targets.
        foreach (var target in new[]
        {
            "/", "/a/b/c", "/a?", "/a?b=c&d=e", "/a/./b/../c", "/%41%42", "/a%2Fb", "/a%2fb?x=%2F", "/%C3%A9", "/%E9",
            "/a%", "/a%zz", "/..", "//a//b", "/a;b=c", "/~!$&'()*+,;=:@", "/a?b?c", "/a%00", "?a", "%2Fa",
        })
        {
            Add($"GET {target} HTTP/1.1\r\n{H}\r\n");
        }

        // Asterisk-form and authority-form.
        Add($"OPTIONS * HTTP/1.1\r\n{H}\r\n");
        Add($"GET * HTTP/1.1\r\n{H}\r\n");
        Add($"OPTIONS *x HTTP/1.1\r\n{H}\r\n");
        Add("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        Add("CONNECT example.com:443 HTTP/1.1\r\nHost: other.com:443\r\n\r\n");
        Add("CONNECT example.com:443 HTTP/1.1\r\n\r\n");
        Add("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
        Add("GET example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        Add("POST example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");

        // Absolute-form targets and the Host each needs.
        foreach (var (target, host) in new[]
        {
            ("http://example.com/", "example.com"),
            ("http://example.com/a/b?c=d", "example.com"),
            ("http://example.com", "example.com"),
            ("http://example.com/", "example.com:80"),
            ("http://example.com:80/", "example.com"),
            ("http://example.com:80/", "example.com:80"),
            ("http://example.com:8080/", "example.com:8080"),
            ("http://example.com:8080/", "example.com"),
            ("http://example.com/", "example.com:8080"),
            ("http://example.com/", "other.com"),
            ("https://example.com/", "example.com"),
            ("https://example.com/", "example.com:443"),
            ("https://example.com:443/", "example.com"),
            ("https://example.com/", "example.com:80"),
            ("http://EXAMPLE.COM/", "example.com"),
            ("http://EXAMPLE.COM/", "EXAMPLE.COM"),
            ("http://example.com/", "EXAMPLE.COM"),
            ("http://127.0.0.1:81/x", "127.0.0.1:81"),
            ("http://[::1]/", "[::1]"),
            ("http://[::1]:81/", "[::1]:81"),
            ("http://example.com/a/../b", "example.com"),
            ("http://example.com/%41", "example.com"),
            ("http://a b/", "a b"),
            ("http:///", ""),
            ("HTTP://example.com/", "example.com"),
            ("ftp://example.com/", "example.com"),
        })
        {
            Add($"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        }

        Add("GET http://example.com/ HTTP/1.1\r\n\r\n");
        Add("GET http://example.com/x HTTP/1.0\r\nHost: example.com\r\n\r\n");
        Add("GET http://example.com/x HTTP/1.0\r\nHost: other.com\r\n\r\n");

        // Field syntax.
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A:b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A:   b  \r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A:\tb\t\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b  c\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\tc\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A:\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: \r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: a,b , c\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: \"quoted: yes\"\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: 1\r\nx-a: 2\r\nX-A: 3\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}Cookie: a=1\r\nCookie: b=2\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}Accept: text/html\r\naccept: */*\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}USER-AGENT: x\r\ncontent-type: y\r\nACCEPT-encoding: gzip\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X!#$%&'*+.^_`|~: v\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-Utf8: caf\u00c3\u00a9\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-Latin1: caf\u00e9\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A : b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A\t: b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H} X-A: b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\r\n c\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\r\n\tc\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}: b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X\u00e9: b\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\0c\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\rc\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\nc\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}X-A: b\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}\n");
        Add($"GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n");

        // Host.
        foreach (var host in new[]
        {
            "a", "example.com", "example.com:80", "example.com:0", "127.0.0.1", "127.0.0.1:8080", "[::1]", "[::1]:80",
            "xn--caf-dma.com", "a_b", "A.EXAMPLE", "", "a b", "a/b", "a@b", "a:b", ":80", "example.com:", "[::1", "a,b", "a%20b",
        })
        {
            Add($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        }

        Add("GET / HTTP/1.1\r\n\r\n");
        Add("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n");
        Add("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n");
        Add("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");
        Add("GET / HTTP/1.0\r\nHost: a b\r\n\r\n");
        Add("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n");
        Add("GET / HTTP/1.1\r\nHOST: Example.COM:8080\r\n\r\n");

        // Content-Length.
        foreach (var value in new[] { "0", "00", "1", "42", "0042", "9223372036854775807", "9223372036854775808", "-1", "1 2", "1,1", "1, 1", "0x10", "1e3", "", "abc", " 7 " })
        {
            Add($"POST / HTTP/1.1\r\n{H}Content-Length: {value}\r\n\r\n");
        }

        Add($"POST / HTTP/1.1\r\n{H}Content-Length: 1\r\nContent-Length: 1\r\n\r\n");
        Add($"POST / HTTP/1.1\r\n{H}Content-Length: 1\r\ncontent-length: 2\r\n\r\n");
        Add($"GET / HTTP/1.1\r\n{H}Content-Length: 0\r\n\r\n");

        // Transfer-Encoding.
        foreach (var value in new[] { "chunked", "Chunked", "CHUNKED", "  chunked  ", "identity", "xchunked", "chunked, identity", "", "chunkedx" })
        {
            Add($"POST / HTTP/1.1\r\n{H}Transfer-Encoding: {value}\r\n\r\n");
        }

        Add($"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n");
        Add($"POST / HTTP/1.1\r\n{H}Content-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n");
        Add($"POST / HTTP/1.1\r\n{H}Content-Length: 10\r\nTransfer-Encoding: identity\r\n\r\n");
        Add($"POST / HTTP/1.1\r\n{H}Transfer-Encoding : chunked\r\n\r\n");

        // Connection, Expect, Upgrade: accepted by both, and the fields come through unchanged.
        foreach (var fields in new[]
        {
            "Connection: close\r\n", "Connection: keep-alive\r\n", "Connection: Keep-Alive, Upgrade\r\nUpgrade: websocket\r\n",
            "Connection: upgrade\r\n", "Upgrade: h2c\r\n", "Connection: foo, bar\r\n", "Expect: 100-continue\r\n",
            "Expect: 100-Continue\r\nContent-Length: 0\r\n", "Expect: something\r\n", "Connection: close\r\nConnection: keep-alive\r\n",
            "TE: trailers\r\n", "Keep-Alive: timeout=5\r\n", "Proxy-Connection: keep-alive\r\n",
        })
        {
            Add($"GET / HTTP/1.1\r\n{H}{fields}\r\n");
        }

        Add("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        Add("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");

        // A browser's head and a curl's.
        Add("GET /api/v1/items?page=2&sort=name HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n"
            + "Cookie: session=3f2a9c1e7b; theme=dark\r\nReferer: https://www.example.com/items\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: same-origin\r\nConnection: keep-alive\r\n\r\n");
        Add("GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n");

        return heads;
    }

    /// <summary>Heads Kestrel takes that the parser refuses on purpose, with why.</summary>
    public static TheoryData<string, string> StricterThanKestrel => new()
    {
        { $"GET /  HTTP/1.1\r\n{H}\r\n", "Kestrel skips extra spaces before the version; one SP, so every parser splits the line alike" },
        { $"GET /a\tb HTTP/1.1\r\n{H}\r\n", "HTAB in a target: a backend may split the request line there" },
        { $"GET /a\u007fb HTTP/1.1\r\n{H}\r\n", "DEL in a target: not a URI character, a backend may drop it" },
        { $"GET /a\"b HTTP/1.1\r\n{H}\r\n", "stays: allowed by both (guard against the list below drifting)" },
        { $"GET / HTTP/1.1\r\n{H}X-A: b\u0001c\r\n\r\n", "a control byte in a field value (RFC 9110 5.5)" },
        { $"GET / HTTP/1.1\r\n{H}X-A: b\u007fc\r\n\r\n", "DEL in a field value (RFC 9110 5.5)" },
        { $"POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked\r\n\r\n", "only chunked itself; a coding list is framing another parser may read otherwise" },
        { $"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked, chunked\r\n\r\n", "only one chunked" },
        { $"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "only one Transfer-Encoding field" },
        { "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding on HTTP/1.0 is faulty framing (RFC 9112 6.1)" },
        { "GET http://user@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", "userinfo in an absolute-form target" },
        { "GET http://example.com:/ HTTP/1.1\r\nHost: example.com\r\n\r\n", "an empty port in an absolute-form target" },
        { "GET / HTTP/1.1\r\nHost: example.com:123456\r\n\r\n", "a port of more than five digits (Http2FieldValidation.IsValidAuthority)" },
        { "GET / HTTP/1.1\r\nHost: [::]\r\n\r\n", "stays: refused by both (guard)" },
        { $"\nGET / HTTP/1.1\r\n{H}\r\n", "a bare LF is no line end, even before the request line" },
        { $"\rGET / HTTP/1.1\r\n{H}\r\n", "a lone CR is no line end, even before the request line" },
        { $"GET /a#b HTTP/1.1\r\n{H}\r\n", "'#' in a target: a backend may cut the target there as a fragment" },
        { $"GET /a?# HTTP/1.1\r\n{H}\r\n", "'#' in a query, likewise" },
        { $"GET / HTTP/1.1\r\n{H}X(A): b\r\n\r\n", "a field name that is no token: a backend may refuse or split it" },
        { $"GET / HTTP/1.1\r\n{H}X@A: b\r\n\r\n", "a field name that is no token" },
        { $"POST / HTTP/1.1\r\n{H}Content-Length: +1\r\n\r\n", "Content-Length is 1*DIGIT; a sign is read differently by other parsers" },
    };

    /// <summary>Refused by both, with a different status: the parser answers 400 for what is no HTTP version at all.</summary>
    public static TheoryData<string> MalformedVersionIs400NotKestrels505 => new()
    {
        $"GET / http/1.1\r\n{H}\r\n",
        $"GET / HTTP/1.x\r\n{H}\r\n",
        $"GET / HTTP-1.1\r\n{H}\r\n",
        $"GET / HTTPS1.1\r\n{H}\r\n",
    };

    [Theory]
    [MemberData(nameof(SameAsKestrel))]
    public async Task ParserReadsTheHeadAsKestrelDoes(string head)
    {
        var answer = await kestrel.SendAsync(head);
        var (accepted, request, rejection) = Parse(head);

        if (answer.Status != 200)
        {
            Assert.False(accepted, $"Kestrel answered {answer.Status}, the parser accepted");
            Assert.Equal(answer.Status, rejection.StatusCode);
            return;
        }

        Assert.True(accepted, $"Kestrel accepted, the parser refused ({rejection}): {head}");
        Assert.Equal(answer.Method, request.Method);
        Assert.Equal(answer.Path, request.Path);
        Assert.Equal(answer.QueryString, request.QueryString);
        // HostString.Value turns punycode into Unicode, so the field Kestrel received is the reference.
        var kestrelHost = answer.Headers.Where(h => h.Name == "Host").Select(h => h.Value).SingleOrDefault() ?? answer.Host;
        Assert.Equal(kestrelHost, request.Host);

        // Kestrel decodes values as UTF-8; the parser keeps bytes as Latin-1 chars.
        var ours = request.Headers
            .Select(h => (h.Key, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(h.Value.ToString()))))
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var theirs = answer.Headers.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(theirs.Count, ours.Count);
        for (var i = 0; i < ours.Count; i++)
        {
            Assert.Equal(theirs[i].Name, ours[i].Key, ignoreCase: true);
            // Kestrel respells Connection tokens ("upgrade" becomes "Upgrade"); tokens ignore case.
            Assert.Equal(theirs[i].Value, ours[i].Item2, ignoreCase: theirs[i].Name == "Connection");
        }
    }

    [Theory]
    [MemberData(nameof(StricterThanKestrel))]
    public async Task ParserIsStricterThanKestrelOnPurpose(string head, string reason)
    {
        var answer = await kestrel.SendAsync(head);
        var (accepted, _, rejection) = Parse(head);

        if (reason.StartsWith("stays:", StringComparison.Ordinal))
        {
            Assert.Equal(answer.Status == 200, accepted);
            return;
        }

        Assert.True(answer.Status == 200, $"Kestrel now refuses ({answer.Status}): move the case to SameAsKestrel");
        Assert.False(accepted, reason);
        Assert.Equal(400, rejection.StatusCode);
    }

    [Theory]
    [MemberData(nameof(MalformedVersionIs400NotKestrels505))]
    public async Task MalformedVersionIsABadRequest(string head)
    {
        var answer = await kestrel.SendAsync(head);
        var (accepted, _, rejection) = Parse(head);

        Assert.Equal(505, answer.Status);
        Assert.False(accepted);
        Assert.Equal(400, rejection.StatusCode);
    }

    [Theory]
    [InlineData("GET http://example.com:81/x HTTP/1.0\r\n\r\n", "example.com:81")]
    [InlineData("CONNECT example.com:443 HTTP/1.0\r\n\r\n", "example.com:443")]
    public async Task Http10WithoutHostTakesItsHostFromTheTarget(string head, string host)
    {
        // Kestrel leaves Request.Host empty here; the target names the authority, and routing needs one.
        var answer = await kestrel.SendAsync(head);
        var (accepted, request, _) = Parse(head);

        Assert.Equal(200, answer.Status);
        Assert.Equal(string.Empty, answer.Host);
        Assert.True(accepted);
        Assert.Equal(host, request.Host);
    }

    [Fact]
    public void CorpusIsLargeEnough() => Assert.True(SameAsKestrel().Count >= 150);

    private static (bool Accepted, Http1RequestHead Request, Http1Rejection Rejection) Parse(string head)
    {
        var request = new Http1RequestHead();
        var accepted = Http1HeadParser.TryParse(Encoding.Latin1.GetBytes(head), request, new Http2FieldStrings(), new Http1Limits(), out var rejection);
        return (accepted, request, rejection);
    }
}
