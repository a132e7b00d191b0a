using System.Text;
using Gatehouse.Proxy.Forwarding.Http1;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Forwarding;

public sealed class ResponseHeaderCopierTests
{
    [Fact]
    public void ARepeatedValueIsTheSameStringAndAChangedOneIsNew()
    {
        var cache = ResponseHeaderCopier.NewValueCache();
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
        var cache = ResponseHeaderCopier.NewValueCache();
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
        var cache = ResponseHeaderCopier.NewValueCache();
        var response = Copy(cache, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(new[] { "a=1", "a=1" }, (string[])response.Headers.SetCookie!);
    }

    private static HttpResponse Copy(string?[] cache, string head)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        Assert.True(Http1ResponseParser.TryParse(bytes, out var parsed, out var consumed));
        var response = new DefaultHttpContext().Response;
        ResponseHeaderCopier.Copy(bytes.AsSpan(0, consumed), parsed, response, cache);
        return response;
    }
}
