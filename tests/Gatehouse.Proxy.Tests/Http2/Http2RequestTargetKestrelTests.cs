using System.Text;
using Gatehouse.Proxy.Http2;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// The differential test behind <see cref="Http2RequestTarget"/>: every target is sent to a real Kestrel
/// as an HTTP/1.1 request line and parsed by TryParse; both must produce the same Path and QueryString,
/// and TryParse must refuse exactly the targets Kestrel answers 400. Routing must see one path whether a
/// client spoke h2 to our server or HTTP/1.1 to Kestrel's.
/// </summary>
public sealed class Http2RequestTargetKestrelTests(KestrelHttp1Probe kestrel) : IClassFixture<KestrelHttp1Probe>
{
    public static TheoryData<string> SameAsKestrel => new()
    {
        // Plain targets (the fast path).
        "/",
        "/a",
        "/a/b/",
        "/api/v1/items",
        "/static/app.min.js",
        "/.well-known/acme-challenge/token",
        "/a;b=c",
        "/a+b",
        "/~",
        "/!$&'()*,;=:@",
        "/a\"b",
        "/a<b>",
        "/a{b}|^`",
        "/a[b]",
        "/a\\b",

        // Dot segments.
        "/a/./b/../c",
        "/..",
        "/../a",
        "/.",
        "/./",
        "/./../a",
        "/a/.",
        "/a/./",
        "/a/..",
        "/a/b/..",
        "/a/b/../",
        "/a/.././..",
        "/a/b/c/./../../g",
        "/a/b/c/./../../g/",
        "/a;/../b",
        "/a/b;x/../c",

        // Dots that are not dot segments.
        "/a/.../b",
        "/a/...",
        "/a/b.",
        "/a/b../",
        "/.a",
        "/..a",
        "/a/.b/..",
        "/a/..;/b",
        "/.;/a",

        // Empty segments are kept.
        "/a//b",
        "//a",
        "/a//..",
        "//..",
        "//../a",
        "/a/b//../c",

        // Encoded dots are dot segments once decoded; a decoded '%' is not decoded again.
        "/a/%2e%2e/b",
        "/a/%2E%2E/b",
        "/a/%2e/b",
        "/a/%2e",
        "/a/%2e%2e",
        "/%2e%2e",
        "/%2e%2e/",
        "/%2e%2E",
        "/.%2E",
        "/%2e.",
        "/a/.%2e/b",
        "/a/%2e./b",
        "/a/%2e/%2e%2e/%2e",
        "/a/b/%2e%2e/%2e%2e/%2e%2e/c",
        "/a%2e",
        "/%2e%2e;/a",
        "/%252e%252e",
        "/a/%252e%252e/b",

        // %2F stays encoded (in the case it was written in) and is part of a segment name.
        "/a%2Fb",
        "/a%2fb",
        "/%2F..",
        "/%2F%2e%2e",
        "/%2F/..",
        "/a%2F/..",
        "/a/%2F/../b",
        "/a/%2F..",
        "/a/..%2F",
        "/a/..%2fb",
        "/a/%2e%2e%2F",
        "/%2e%2e%2fb",
        "/%41%2f%2F",
        "/a%252F",

        // Other ASCII escapes are decoded, controls included; %00 is refused.
        "/%41%42",
        "/%7e",
        "/%7E",
        "/a%20b",
        "/a%2Bb",
        "/%2b",
        "/a%3Fb",
        "/a%23b",
        "/%3f%23",
        "/a%25b",
        "/%3B",
        "/%3D",
        "/%5C",
        "/%5c..",
        "/..%5c",
        "/%01",
        "/%09",
        "/%0A",
        "/%0D",
        "/%1F",
        "/%7F",
        "/%00",
        "/a%00b",
        "/%C3%00",

        // A '%' that does not start an escape is an ordinary character.
        "/%zz",
        "/%4",
        "/%4g",
        "/%g4",
        "/a%",
        "/a/%",
        "/%",
        "/%%",
        "/%%41",

        // Well-formed UTF-8 is decoded.
        "/caf%C3%A9",
        "/caf%c3%a9",
        "/%C2%80",
        "/%DF%BF",
        "/%E0%A0%80",
        "/%E2%82%AC",
        "/%ED%9F%BF",
        "/%EE%80%80",
        "/%EF%BF%BE",
        "/%EF%BF%BF",
        "/%F0%9F%98%80",
        "/%F4%8F%BF%BF",
        "/%C3%A9%2F",
        "/%C3%A9%A9",

        // Anything else above 0x7F stays as written, and decoding resumes after its first escape.
        "/%C0%AE",
        "/%C0%AE%C0%AE/b",
        "/%C0%AE%C0%AE/%2e%2e/b",
        "/%C1%BF",
        "/%e9",
        "/%FF",
        "/%A9",
        "/%A9%C3%A9",
        "/%C3",
        "/%C3A",
        "/%C3%A",
        "/%C3%28",
        "/%C3%2F",
        "/%C3%2e%2e",
        "/%E2%2e",
        "/%E2%82",
        "/%E2%82A",
        "/%E2%82%41",
        "/%E2%C3%A9",
        "/%E2%82%C3%A9",
        "/%E0%80%AF",
        "/%ED%A0%80",
        "/%ED%A0%80%41",
        "/%F0%80%80%AF",
        "/%F0%9F%98",
        "/%F0%9F%98%41",
        "/%F0%9F%98%2F",
        "/%F4%90%80%80",
        "/%F4%90%41",
        "/%F5%80%80%80",
        "/%F8%88%80%80%80",

        // The query starts at the first '?', keeps it, and is never decoded or normalised.
        "/?",
        "/a?",
        "/a?b=c?d",
        "/?a=%2F&b=%00",
        "/a?%2e%2e",
        "/a/../b?x=/../y",
        "/%41?%41",
        "/a%3Fb?c",
        "/a?b=%C3%A9+c&d=%zz",

        // Long targets, past the stack buffer.
        "/" + new string('a', 700),
        "/" + new string('a', 700) + "/%2e%2e/b%C3%A9?q=" + new string('q', 300),
        "/x" + string.Concat(Enumerable.Repeat("/a/..", 200)),

        // Bytes Kestrel refuses in a request line.
        "/a\u0080b",
        "/caf\u00C3\u00A9",
        "/a?b\u0080c",
    };

    /// <summary>
    /// Targets Kestrel's HTTP/1.1 parser takes but IsValidPath (and so TryParse) refuses: each holds a
    /// byte that is dangerous when the :path is copied raw into the backend's request line. HTAB may
    /// split the request line (RFC 9112 3 lets parsers treat it as whitespace), other controls and DEL are
    /// dropped or end the line for some parsers, and '#' starts a fragment a backend may cut off.
    /// </summary>
    public static TheoryData<string> StricterThanKestrel => new()
    {
        "/a#b",
        "/a?b#c",
        "/#",
        "/a\tb",
        "/a?b\tc",
        "/a\u007Fb",
        "/a?b\u007Fc",
        "/a\u0001b",
        "/a\u001Fb",
        "/a?\u001Bc",
    };

    [Theory]
    [MemberData(nameof(SameAsKestrel))]
    public async Task PathAndQueryAreWhatKestrelsHttp1ParserProduces(string target)
    {
        var answer = await kestrel.SendAsync(target);
        var parsed = Http2RequestTarget.TryParse(Encoding.Latin1.GetBytes(target), out var path, out var query);

        if (answer.Status == 400)
        {
            Assert.False(parsed, $"Kestrel refuses {target}, TryParse gave path {path}");
            return;
        }

        Assert.Equal(200, answer.Status);
        Assert.True(parsed, $"Kestrel accepts {target} as {answer.Path}, TryParse refused it");
        Assert.Equal(answer.Path, path);
        Assert.Equal(answer.QueryString, query);
    }

    [Theory]
    [MemberData(nameof(StricterThanKestrel))]
    public async Task TargetsWithBytesUnsafeInARequestLineAreRefused(string target)
    {
        var bytes = Encoding.Latin1.GetBytes(target);

        Assert.False(Http2FieldValidation.IsValidPath(bytes));
        Assert.False(Http2RequestTarget.TryParse(bytes, out _, out _));

        // Refusing is only allowed to be stricter than Kestrel for these bytes: anything else Kestrel
        // accepts is in the corpus above and must parse the same.
        var answer = await kestrel.SendAsync(target);
        Assert.True(
            answer.Status == 400 || bytes.AsSpan().IndexOfAny("\t#\u007F"u8) >= 0 || bytes.AsSpan().IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0,
            $"Kestrel accepts {target} and it holds no byte that is unsafe in a request line");
    }

    [Fact]
    public async Task KestrelRefusesNulAndRawNonAsciiInTheRequestLineToo()
    {
        // Same bytes refused by both: a raw NUL and raw UTF-8 in the target.
        foreach (var target in new[] { "/a\u0000b", "/caf\u00C3\u00A9", "/a?\u00FF" })
        {
            Assert.Equal(400, (await kestrel.SendAsync(target)).Status);
            Assert.False(Http2FieldValidation.IsValidPath(Encoding.Latin1.GetBytes(target)));
            Assert.False(Http2RequestTarget.TryParse(Encoding.Latin1.GetBytes(target), out _, out _));
        }
    }
}
