using System.Net;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Forwarding;

/// <summary>
/// Proxy → backend leg of the lean HTTP/1.1 client: a backend answering with responses that could be
/// framed two ways gets its client a 502 (or a reset once the body has started), and the poisoned
/// connection is never used again (counted by the raw backend's accepts).
/// </summary>
public abstract class ResponseSmugglingTests
{
    public static TheoryData<string, string> MalformedResponses => new()
    {
        { "Content-Length and Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
        { "two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!" },
        { "garbage Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2x\r\n\r\nok" },
        { "bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok" },
        { "bare LF after the status line", "HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok" },
        { "obs-fold", "HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nok" },
        { "whitespace before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok" },
        { "control character in a value", "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\nContent-Length: 2\r\n\r\nok" },
        { "transfer coding other than chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" },
        { "chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
        { "chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nok\r\n0\r\n\r\n" },
        { "negative chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nok\r\n0\r\n\r\n" },
        { "garbage chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n" },
        { "chunk longer than its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokHTTP/1.1 200 OK\r\n0\r\n\r\n" },
        { "huge header section", "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 70 * 1024) + "\r\nContent-Length: 2\r\n\r\nok" },
        { "too many headers", "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, 150).Select(i => $"X-H{i}: v\r\n")) + "Content-Length: 2\r\n\r\nok" },
        { "malformed status line", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok" },
        { "response splitting in a header value", "HTTP/1.1 200 OK\r\nX-A: a\rHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
    };

    [Theory]
    [MemberData(nameof(MalformedResponses))]
    public async Task MalformedResponseIsRefusedAndItsConnectionDropped(string description, string response)
    {
        await using var backend = await RawBackend.StartAsync(response);
        await using var proxy = await StartLeanProxyAsync(backend);

        var first = await GetStatusAsync(proxy);
        var second = await GetStatusAsync(proxy);

        // 0: the connection was reset because the body had already started (chunk errors after data).
        Assert.True(first is 502 or 0, $"{description}: first answer {first}");
        Assert.True(second is 502 or 0, $"{description}: second answer {second}");
        await WaitForAsync(() => backend.Received.Count >= 2);

        // Every request the backend saw came on a connection of its own: none carried a second one.
        // (More than two when the client retried a GET whose connection closed before any answer.)
        Assert.True(backend.Accepted >= 2, $"{description}: {backend.Accepted} connections");
        Assert.Equal(backend.Received.Count, backend.Accepted);
    }

    [Fact]
    public async Task WellFormedResponsesShareOneKeepAliveConnection()
    {
        // The control for the tests above: with a clean response the count of accepts stays at one.
        await using var backend = await RawBackend.StartAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        await using var proxy = await StartLeanProxyAsync(backend);

        for (var i = 0; i < 3; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, backend.Accepted);
    }

    [Fact]
    public async Task ChunkedResponseWithTrailersIsDecodedAndTheConnectionReused()
    {
        await using var backend = await RawBackend.StartAsync(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
        await using var proxy = await StartLeanProxyAsync(backend);

        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            Assert.Equal("hello world", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, backend.Accepted);
    }

    [Fact]
    public async Task BodyLongerThanContentLengthIsNotReadAsTheNextResponse()
    {
        // The extra bytes look like a whole second response; the proxy must drop them with the connection.
        await using var backend = await RawBackend.StartAsync(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
        await using var proxy = await StartLeanProxyAsync(backend);

        for (var i = 0; i < 3; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, backend.Accepted);
    }

    [Fact]
    public async Task InterimContinueIsAbsorbedAndTheFinalResponseForwarded()
    {
        await using var backend = await RawBackend.StartAsync(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone");
        await using var proxy = await StartLeanProxyAsync(backend);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("body") };
        request.Headers.ExpectContinue = true;
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync());

        // The backend was asked, said 100, and then got the body.
        Assert.Contains("Expect: 100-continue", backend.Received.First(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task StaleKeepAliveConnectionIsReplacedWithoutAnError()
    {
        // "Connection: close" is not sent, but the backend closes after each response: the pooled
        // connection is dead when the next request comes and must be noticed, not answered with 502.
        await using var backend = await ClosingBackend.StartAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        await using var proxy = await StartLeanProxyAsync(backend.Endpoint);

        for (var i = 0; i < 3; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, backend.Accepted);
    }

    private protected abstract Gatehouse.Proxy.Transport.ProxyTransport Transport { get; }

    private Task<ProxyHarness> StartLeanProxyAsync(RawBackend backend) => StartLeanProxyAsync(backend.Endpoint);

    private Task<ProxyHarness> StartLeanProxyAsync(Gatehouse.Model.EndpointConfig endpoint)
        => ProxyHarness.StartAsync(
            CatchAll(Backend("raw", endpoint)),
            ProxyHarness.LocalOptions() with { UpstreamClient = UpstreamClient.Lean, Transport = Transport });

    private static async Task<int> GetStatusAsync(ProxyHarness proxy)
    {
        try
        {
            using var response = await proxy.Client.GetAsync("/");
            await response.Content.ReadAsByteArrayAsync();
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }
}

public sealed class ResponseSmugglingTestsOverSockets : ResponseSmugglingTests
{
    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Sockets;
}

public sealed class ResponseSmugglingTestsOverEpoll : ResponseSmugglingTests
{
    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}
