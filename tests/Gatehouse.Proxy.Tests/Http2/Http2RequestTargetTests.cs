using System.Text;
using Gatehouse.Proxy.Http2;

namespace Gatehouse.Tests.Http2;

/// <summary>What the Kestrel comparison cannot show: refusals of bytes h1 cannot carry, and allocations.</summary>
public sealed class Http2RequestTargetTests
{
    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("a")]
    [InlineData("?a")]
    [InlineData("http://h/a")]
    [InlineData("/a b")]
    [InlineData("/a?b c")]
    [InlineData("/a\rb")]
    [InlineData("/a\nb")]
    [InlineData("/a%2e%2e/\nb")]
    [InlineData("/%41?\r\n")]
    public void TargetsThatAreNoOriginFormOrCannotBeARequestLineAreRefused(string target)
    {
        Assert.False(Http2RequestTarget.TryParse(Encoding.Latin1.GetBytes(target), out var path, out var query));
        Assert.Equal(string.Empty, path);
        Assert.Equal(string.Empty, query);
    }

    [Theory]
    [InlineData("/", "/", "")]
    [InlineData("/a/b?c=d", "/a/b", "?c=d")]
    [InlineData("/a/%2e%2e/b%C3%A9?%2e", "/b\u00E9", "?%2e")]
    [InlineData("/a/./b/../c?", "/a/c", "?")]
    [InlineData("/a%2Fb/../c", "/c", "")]
    public void SplitsDecodesAndNormalises(string target, string expectedPath, string expectedQuery)
    {
        Assert.True(Http2RequestTarget.TryParse(Encoding.Latin1.GetBytes(target), out var path, out var query));
        Assert.Equal(expectedPath, path);
        Assert.Equal(expectedQuery, query);
    }

    [Fact]
    public void RootWithoutQueryAllocatesNothing()
    {
        var target = "/"u8.ToArray();
        Http2RequestTarget.TryParse(target, out _, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var parsed = Http2RequestTarget.TryParse(target, out var path, out var query);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(parsed);
        Assert.Equal(0, allocated);
        Assert.Equal("/", path);
        Assert.Same(string.Empty, query);
    }

    [Theory]
    [InlineData("/api/v1/items/42", "")]
    [InlineData("/static/app.min.js", "?v=3")]
    [InlineData("/.well-known/acme-challenge/t", "?")]
    [InlineData("/a/b", "?q=" + "0123456789abcdef")]
    public void PlainTargetsAllocateOnlyTheirStrings(string plainPath, string query)
    {
        var target = Encoding.ASCII.GetBytes(plainPath + query);
        Http2RequestTarget.TryParse(target, out _, out _);

        // What a bare string of each part costs; "?" alone and the empty query are shared constants.
        var before = GC.GetAllocatedBytesForCurrentThread();
        _ = Encoding.Latin1.GetString(target, 0, plainPath.Length);
        if (query.Length > 1)
        {
            _ = Encoding.Latin1.GetString(target, plainPath.Length, query.Length);
        }

        var expected = GC.GetAllocatedBytesForCurrentThread() - before;

        before = GC.GetAllocatedBytesForCurrentThread();
        var parsed = Http2RequestTarget.TryParse(target, out var path, out var queryString);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(parsed);
        Assert.Equal(plainPath, path);
        Assert.Equal(query, queryString);
        Assert.Equal(expected, allocated);
    }

    [Fact]
    public void DecodingLongPathsAllocatesOnlyTheResult()
    {
        // Past the stack buffer the work buffer is pooled, so it is not charged per request either.
        var target = Encoding.ASCII.GetBytes("/" + new string('a', 2000) + "/%2e%2e/caf%C3%A9");
        Http2RequestTarget.TryParse(target, out var path, out _);
        Assert.Equal("/caf\u00E9", path);

        var before = GC.GetAllocatedBytesForCurrentThread();
        _ = "/caf\u00E9".AsSpan().ToString();
        var expected = GC.GetAllocatedBytesForCurrentThread() - before;

        before = GC.GetAllocatedBytesForCurrentThread();
        Http2RequestTarget.TryParse(target, out path, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("/caf\u00E9", path);
        Assert.Equal(expected, allocated);
    }
}
