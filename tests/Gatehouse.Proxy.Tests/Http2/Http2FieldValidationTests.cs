using System.Text;
using Gatehouse.Proxy.Http2;

namespace Gatehouse.Tests.Http2;

public sealed class Http2FieldValidationTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("content-type")]
    [InlineData("x-forwarded-for")]
    [InlineData("x_y")]
    [InlineData("0")]
    [InlineData("!#$%&'*+-.^_`|~")]
    public void LowercaseTokenNamesAreValid(string name)
        => Assert.True(Http2FieldValidation.IsValidName(Encoding.Latin1.GetBytes(name)));

    [Theory]
    [InlineData("")]
    [InlineData("Content-Type")]
    [InlineData("x-Y")]
    [InlineData(":path")]
    [InlineData("a:b")]
    [InlineData("a b")]
    [InlineData(" a")]
    [InlineData("a\tb")]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\u0000b")]
    [InlineData("a\u007Fb")]
    [InlineData("a\u0080b")]
    [InlineData("caf\u00E9")]
    [InlineData("a\"b")]
    [InlineData("a(b)")]
    [InlineData("a,b")]
    [InlineData("a/b")]
    [InlineData("a;b")]
    [InlineData("a=b")]
    [InlineData("a@b")]
    [InlineData("a[b]")]
    [InlineData("a{b}")]
    [InlineData("a\\b")]
    [InlineData("a?b")]
    [InlineData("a<b>")]
    public void OtherNamesAreInvalid(string name)
        => Assert.False(Http2FieldValidation.IsValidName(Encoding.Latin1.GetBytes(name)));

    [Fact]
    public void EveryByteOutsideLowercaseTcharMakesANameInvalid()
    {
        const string allowed = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
        for (var b = 0; b <= 0xFF; b++)
        {
            // The byte in the middle of a long name, so the vectorized part of the scan sees it too.
            var name = Encoding.ASCII.GetBytes(new string('a', 40) + "x" + new string('a', 40));
            name[40] = (byte)b;
            Assert.Equal(allowed.Contains((char)b, StringComparison.Ordinal), Http2FieldValidation.IsValidName(name));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("text/html; charset=utf-8")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("a  \t  b")]
    [InlineData("caf\u00C3\u00A9")]
    [InlineData("\u0080\u00FF")]
    [InlineData("~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}")]
    public void ValuesWithoutCtlsOrSurroundingWhitespaceAreValid(string value)
        => Assert.True(Http2FieldValidation.IsValidValue(Encoding.Latin1.GetBytes(value)));

    [Theory]
    [InlineData(" a")]
    [InlineData("a ")]
    [InlineData("\ta")]
    [InlineData("a\t")]
    [InlineData(" ")]
    [InlineData("\t")]
    [InlineData("a\u0000b")]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\r\nX-Smuggled: 1")]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\u0000")]
    [InlineData("a\u0001b")]
    [InlineData("a\u001Fb")]
    [InlineData("a\u007Fb")]
    public void ValuesWithCtlsOrSurroundingWhitespaceAreInvalid(string value)
        => Assert.False(Http2FieldValidation.IsValidValue(Encoding.Latin1.GetBytes(value)));

    [Fact]
    public void EveryByteIsJudgedInTheMiddleOfALongValue()
    {
        for (var b = 0; b <= 0xFF; b++)
        {
            var value = Encoding.ASCII.GetBytes(new string('v', 100) + "x" + new string('v', 100));
            value[100] = (byte)b;
            var allowed = b == '\t' || (b >= 0x20 && b != 0x7F);
            Assert.Equal(allowed, Http2FieldValidation.IsValidValue(value));
        }
    }

    [Theory]
    [InlineData("connection")]
    [InlineData("keep-alive")]
    [InlineData("proxy-connection")]
    [InlineData("transfer-encoding")]
    [InlineData("upgrade")]
    [InlineData("Transfer-Encoding")]
    [InlineData("CONNECTION")]
    public void ConnectionSpecificNamesAreRecognised(string name)
        => Assert.True(Http2FieldValidation.IsConnectionSpecific(Encoding.Latin1.GetBytes(name)));

    [Theory]
    [InlineData("")]
    [InlineData("te")]
    [InlineData("host")]
    [InlineData("content-length")]
    [InlineData("connections")]
    [InlineData("connectio")]
    [InlineData("keep-alive2")]
    [InlineData("upgrade-insecure-requests")]
    [InlineData("transfer-encodinx")]
    [InlineData("proxy-connectiom")]
    [InlineData("upgradf")]
    public void OtherNamesAreNotConnectionSpecific(string name)
        => Assert.False(Http2FieldValidation.IsConnectionSpecific(Encoding.Latin1.GetBytes(name)));

    [Theory]
    [InlineData("trailers", true)]
    [InlineData("Trailers", true)]
    [InlineData("TRAILERS", true)]
    [InlineData("", false)]
    [InlineData("trailer", false)]
    [InlineData("trailers ", false)]
    [InlineData(" trailers", false)]
    [InlineData("trailers, gzip", false)]
    [InlineData("gzip", false)]
    [InlineData("trailers;q=1", false)]
    [InlineData("chunked", false)]
    public void TeMayOnlyBeTrailers(string value, bool valid)
        => Assert.Equal(valid, Http2FieldValidation.IsValidTeValue(Encoding.Latin1.GetBytes(value)));

    [Theory]
    [InlineData("")]
    [InlineData("[")]
    [InlineData("[::1]:123456")]
    [InlineData("a:")]
    [InlineData("a:123456")]
    [InlineData("a\r\nX: y")]
    [InlineData("[::1]\r\n")]
    [InlineData("a\u0000")]
    [InlineData("[::1.2.3]")]
    [InlineData("[::1.2.3.4.5]")]
    [InlineData("[::01.2.3.4]")]
    [InlineData("[1:2:3:4:5:6:7:1.2.3.4]")]
    [InlineData("[12345::1]")]
    [InlineData("[1:2:3:4:5:6:7:8::]")]
    [InlineData("[:1::2]")]
    [InlineData("[1:]")]
    public void AuthorityEdgesAreInvalid(string authority)
        => Assert.False(Http2FieldValidation.IsValidAuthority(Encoding.Latin1.GetBytes(authority)));

    [Theory]
    [InlineData("[1:2:3:4:5:6:1.2.3.4]")]
    [InlineData("[::255.255.255.255]:1")]
    [InlineData("[1:2:3:4:5:6:7::]")]
    [InlineData("[::2:3:4:5:6:7:8]")]
    [InlineData("a:1")]
    [InlineData("a:65535")]
    public void AuthorityEdgesAreValid(string authority)
        => Assert.True(Http2FieldValidation.IsValidAuthority(Encoding.Latin1.GetBytes(authority)));

    [Theory]
    [InlineData("/")]
    [InlineData("/a/b?c=d&e=%2F")]
    [InlineData("/%zz/../a;b?x#")]
    public void OriginFormTargetsAreValidPaths(string path)
    {
        // '#' is refused; the last case must differ from the valid form only by it.
        var bytes = Encoding.Latin1.GetBytes(path);
        Assert.Equal(!path.Contains('#', StringComparison.Ordinal), Http2FieldValidation.IsValidPath(bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("a/b")]
    [InlineData("http://a/b")]
    [InlineData("?a")]
    [InlineData("/a b")]
    [InlineData("/a\r\nHost: evil")]
    [InlineData("/a HTTP/1.1\r\nX: y")]
    public void OtherTargetsAreInvalidPaths(string path)
        => Assert.False(Http2FieldValidation.IsValidPath(Encoding.Latin1.GetBytes(path)));

    [Fact]
    public void EveryByteIsJudgedInTheMiddleOfALongPath()
    {
        for (var b = 0; b <= 0xFF; b++)
        {
            var path = Encoding.ASCII.GetBytes("/" + new string('p', 100) + "x" + new string('p', 100));
            path[101] = (byte)b;
            var allowed = b is >= 0x21 and <= 0x7E and not '#';
            Assert.Equal(allowed, Http2FieldValidation.IsValidPath(path));
        }
    }

    [Fact]
    public void ChecksDoNotAllocate()
    {
        var name = "x-forwarded-for"u8.ToArray();
        var value = Encoding.ASCII.GetBytes(new string('v', 500));
        var authority = "[::ffff:1.2.3.4]:8443"u8.ToArray();
        var path = Encoding.ASCII.GetBytes("/api/" + new string('p', 500) + "?q=1");
        var valid = Run();

        var before = GC.GetAllocatedBytesForCurrentThread();
        valid = Run();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(valid);
        Assert.Equal(0, allocated);

        bool Run()
        {
            var all = true;
            for (var i = 0; i < 100; i++)
            {
                all &= Http2FieldValidation.IsValidName(name)
                    && Http2FieldValidation.IsValidValue(value)
                    && !Http2FieldValidation.IsConnectionSpecific(name)
                    && Http2FieldValidation.IsValidTeValue("trailers"u8)
                    && Http2FieldValidation.IsValidAuthority(authority)
                    && Http2FieldValidation.IsValidPath(path);
            }

            return all;
        }
    }
}
