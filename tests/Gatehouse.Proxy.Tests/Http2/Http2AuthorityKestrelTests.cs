using System.Text;
using Gatehouse.Proxy.Http2;

namespace Gatehouse.Tests.Http2;

/// <summary>
/// :authority becomes the backend's Host header, so IsValidAuthority is compared with a real Kestrel's
/// verdict on the same value as an HTTP/1.1 Host header: it must never accept what Kestrel refuses.
/// </summary>
public sealed class Http2AuthorityKestrelTests(KestrelHttp1Probe kestrel) : IClassFixture<KestrelHttp1Probe>
{
    public static TheoryData<string> SameVerdictAsKestrel => new()
    {
        // Accepted by both.
        "a",
        "example.com",
        "A.EXAMPLE",
        "xn--caf-dma.com",
        "example.com:80",
        "example.com:8080",
        "example.com:65535",
        "example.com:99999",
        "example.com:0",
        "example.com:00080",
        "127.0.0.1",
        "127.0.0.1:80",
        "1.2.3.4.5",
        "[::1]",
        "[::1]:80",
        "[::ffff:1.2.3.4]",
        "[ABCD::EF]",
        "[1:2:3:4:5:6:7:8]",
        "[1::]",
        "[fe80::1:2]:443",
        "_a",
        "a_b",
        "-a",
        "a.",
        ".",
        "a..b",
        "a-b.c_d~e",
        "a!b",
        "a$b",
        "a&b",
        "a'b",
        "a(b",
        "a)b",

        // Refused by both.
        ":80",
        "example.com:",
        "a:b",
        "a:b:c",
        "a:80:80",
        "a:-1",
        "a:+80",
        "a: 80",
        "x:1x",
        "[::1",
        "::1]",
        "[]",
        "[::]",
        "[a]",
        "[:]",
        "[g::1]",
        "[::G]",
        "[v1.x]",
        "[::1%eth0]",
        "[fe80::1%25eth0]",
        "[::1]x",
        "[::1]:",
        "[::1]:8a",
        "[::1]:80:80",
        "[::1][::2]",
        "a[::1]",
        "a b",
        "a@b",
        "user:pw@a",
        "a/b",
        "a?b",
        "a#b",
        "a%20b",
        "a%zz",
        "a%",
        "a*b",
        "a+b",
        "a,b",
        "a;b",
        "a=b",
        "a\"b",
        "a<b",
        "a\\b",
        "a{b",
        "a|b",
        "a^b",
        "a`b",
        "a[b",
        "a]b",
        "a\tb",
        "a\u0001b",
        "a\u007Fb",
        "a\u0080b",
        "caf\u00C3\u00A9",
    };

    /// <summary>Values Kestrel takes that are not an address or a port: refused on purpose.</summary>
    public static TheoryData<string> StricterThanKestrel => new()
    {
        "example.com:123456",
        "[::1]:999999",
        "[abc]",
        "[1.2.3.4]",
        "[:::]",
        "[1:2:3:4:5:6:7:8:9]",
        "[1::2::3]",
        "[::1.2.3.256]",
    };

    [Theory]
    [MemberData(nameof(SameVerdictAsKestrel))]
    public async Task AuthorityIsValidExactlyWhenKestrelAcceptsItAsHost(string authority)
    {
        var answer = await kestrel.SendAsync("/", authority);
        Assert.True(answer.Status is 200 or 400, $"Kestrel answered {answer.Status}");

        Assert.Equal(answer.Status == 200, Http2FieldValidation.IsValidAuthority(Encoding.Latin1.GetBytes(authority)));
    }

    [Theory]
    [MemberData(nameof(StricterThanKestrel))]
    public void AuthorityThatIsNoAddressOrPortIsRefused(string authority)
        => Assert.False(Http2FieldValidation.IsValidAuthority(Encoding.Latin1.GetBytes(authority)));
}
