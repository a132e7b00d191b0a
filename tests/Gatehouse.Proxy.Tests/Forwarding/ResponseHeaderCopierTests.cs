using System.Text;
using Gatehouse.Proxy.Forwarding.Http1;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Forwarding;

public sealed class ResponseHeaderCopierTests
{
    [Fact]
    public void ARepeatedValueIsTheSameStringAndAChangedOneIsNew()
    {
        var cache = new ResponseHeaderStrings();
        var first = Copy(cache, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nX-Trace: a\r\n\r\n");
        var second = Copy(cache, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 3\r\nX-Trace: a\r\n\r\n");

        Assert.Equal("text/plain", first.ContentType);
        Assert.Equal("text/html", second.ContentType);
        Assert.Same(first.Headers.Server.ToString(), second.Headers.Server.ToString());
        Assert.Equal("a", second.Headers["X-Trace"].ToString());
        Assert.Equal(3, second.ContentLength);
    }

    [Fact]
    public void ReuseComparesBytesExactly()
    {
        var cache = new ResponseHeaderStrings();
        Copy(cache, "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 0\r\n\r\n");

        // Same length, one byte different (case included): never the cached string.
        var changed = Copy(cache, "HTTP/1.1 200 OK\r\nETag: \"abC\"\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal("\"abC\"", changed.Headers.ETag.ToString());

        // Latin-1 bytes above 0x7F round-trip as themselves.
        var latin = Copy(cache, "HTTP/1.1 200 OK\r\nETag: \"ab\u00e9\"\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal("\"ab\u00e9\"", latin.Headers.ETag.ToString());
    }

    [Fact]
    public void RepeatedFieldsAreAllKept()
    {
        var cache = new ResponseHeaderStrings();
        var response = Copy(cache, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(new[] { "a=1", "a=1" }, (string[])response.Headers.SetCookie!);
    }

    [Fact]
    public void HeadersOutsideTheTableRepeatNameAndValueStrings()
    {
        var cache = new ResponseHeaderStrings();
        var first = Copy(cache, "HTTP/1.1 200 OK\r\nX-Echo-Name: echo-a\r\nX-Powered-By: app\r\nContent-Length: 0\r\n\r\n");
        var second = Copy(cache, "HTTP/1.1 200 OK\r\nX-Echo-Name: echo-a\r\nX-Powered-By: app 2\r\nContent-Length: 0\r\n\r\n");

        Assert.Same(first.Headers["X-Echo-Name"].ToString(), second.Headers["X-Echo-Name"].ToString());
        Assert.Same(Name(first, "x-echo-name"), Name(second, "x-echo-name"));
        Assert.Equal("app", first.Headers["X-Powered-By"].ToString());
        Assert.Equal("app 2", second.Headers["X-Powered-By"].ToString());
    }

    [Fact]
    public void ReusedSlotsNeverMixUpHeadersThatMovedOrChangedCase()
    {
        var cache = new ResponseHeaderStrings();
        Copy(cache, "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n");

        // The same headers in the other order, and one name in another case: each arrives as sent.
        var swapped = Copy(cache, "HTTP/1.1 200 OK\r\nX-B: 2\r\nx-a: 1\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal("1", swapped.Headers["X-A"].ToString());
        Assert.Equal("2", swapped.Headers["X-B"].ToString());
        Assert.Equal(["X-B", "x-a", "Content-Length"], swapped.Headers.Keys);
    }

    [Fact]
    public void HeadersBeyondTheKeptSlotsAreAllCopied()
    {
        var cache = new ResponseHeaderStrings();
        var head = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (var i = 0; i < ResponseHeaderStrings.OtherSlots + 4; i++)
        {
            head.Append("X-Field-").Append(i).Append(": v").Append(i).Append("\r\n");
        }

        head.Append("Content-Length: 0\r\n\r\n");
        for (var round = 0; round < 2; round++)
        {
            var response = Copy(cache, head.ToString());
            for (var i = 0; i < ResponseHeaderStrings.OtherSlots + 4; i++)
            {
                Assert.Equal("v" + i, response.Headers["X-Field-" + i].ToString());
            }
        }
    }

    private static string Name(HttpResponse response, string name)
        => response.Headers.Keys.Single(key => string.Equals(key, name, StringComparison.OrdinalIgnoreCase));

    private static HttpResponse Copy(ResponseHeaderStrings cache, string head)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        Assert.True(Http1ResponseParser.TryParse(bytes, out var parsed, out var consumed));
        var response = new DefaultHttpContext().Response;
        ResponseHeaderCopier.Copy(bytes.AsSpan(0, consumed), parsed, response, cache);
        return response;
    }
}
