using System.Text;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Http1.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Requests the server must refuse, read one way only, or survive: every refusal is answered with
/// Kestrel's status and Connection: close, the connection is closed, and the backend sees nothing.
/// </summary>
public abstract class Http1RejectionTests : Http1ServerTests
{
    private static ScriptedBackend EchoBackend()
        => ScriptedBackend.Answering(r => ScriptedBackend.Response($"{r.Method} {r.Target} {r.BodyText}"));

    private static string ManyFields(int count) => string.Concat(Enumerable.Range(0, count).Select(i => $"X-F{i}: v\r\n"));

    public static TheoryData<string, string, int> BadRequests => new()
    {
        { "no request line at all", "GARBAGE\r\n\r\n", 400 },
        { "a fourth request-line part", "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400 },
        { "two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },

        { "a request line over 8 KiB", "GET /" + new string('a', 9 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414 },
        { "101 header fields", "GET / HTTP/1.1\r\nHost: a\r\n" + ManyFields(100) + "\r\n", 431 },
        { "a header section over 64 KiB", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('b', 65 * 1024) + "\r\n\r\n", 431 },
        { "HTTP/2.0 in the request line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
        { "HTTP/1.2 in the request line", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505 },
        { "an unknown transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400 },
        { "a transfer coding without chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
        { "bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", 400 },
        { "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400 },
        { "whitespace before the colon", "GET / HTTP/1.1\r\nHost: a\r\nX-Name : v\r\n\r\n", 400 },
        { "two different Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },
        { "a Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello", 400 },
        { "an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400 },
        { "two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestIsRefusedTheConnectionClosedAndNothingForwarded(string description, string request, int status)
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using (var client = await ConnectAsync(proxy))
        {
            // The server may answer and close before it has read an oversized request to its end.
            await client.TrySendAsync(request);
            var response = await client.ReadResponseAsync();

            Assert.True(response.Status == status, $"{description}: expected {status}, got\r\n{response}");
            Assert.Equal("close", response.Head.Get("Connection"));
            Assert.Equal(Http1Framing.ContentLength, response.Framing);
            await client.AssertServerClosesAsync();
        }

        Assert.Empty(backend.Heads);

        // The same proxy and backend carry a well-formed request, so the emptiness above means something.
        await using var healthy = await ConnectAsync(proxy);
        await healthy.SendAsync("GET /healthy HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("GET /healthy ", (await healthy.ExpectResponseAsync(200)).BodyText);
    }

    /// <summary>
    /// "http/1.1" is not an HTTP-version (RFC 9112: the name is case-sensitive). Kestrel answers 505 as if
    /// it were a version it does not support; the proxy's own server calls the line malformed (400).
    /// Either way nothing is forwarded and the connection closes.
    /// </summary>
    private protected abstract int LowerCaseVersionStatus { get; }

    [Fact]
    public async Task ALowerCaseVersionIsRefused()
        => await BadRequestIsRefusedTheConnectionClosedAndNothingForwarded("a lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", LowerCaseVersionStatus);

    [Fact]
    public async Task MalformedChunkedBodyIsRefusedAndTheConnectionClosed()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        // The head is fine, so the request is on its way to the backend before the body turns out
        // bad; what follows the bad chunk cannot be trusted as a next request.
        await client.TrySendAsync(
            "POST /badchunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n" +
            "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.True(response.Status == 400, response.ToString());
        await client.AssertServerClosesAsync();
        Assert.Empty(backend.Requests);
        Assert.DoesNotContain(backend.Heads, h => h.StartLine.Contains("/smuggled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ContentLengthAndTransferEncodingAreReadAsChunkedAndTheConnectionClosed()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        // Read by Content-Length, the body would be "5\r\nh" and the rest a second request; read as
        // chunked (RFC 9112 6.3: Transfer-Encoding wins) it is "hello" and "GET /smuggled" follows.
        await client.SendAsync(
            "POST /both HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
            "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        Assert.Equal("POST /both hello", response.BodyText);

        // Kestrel closes a connection whose framing was ambiguous rather than trust what follows.
        Assert.Equal("close", response.Head.Get("Connection"));
        await client.AssertServerClosesAsync();
        var request = Assert.Single(backend.Requests);
        Assert.Equal("hello", request.BodyText);
        Assert.False(request.Head.Has("Content-Length"), request.Head.ToString());
        Assert.DoesNotContain(backend.Heads, h => h.StartLine.Contains("/smuggled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientGoneMidBodyLeavesTheProxyHealthyAndTheBackendConnectionUnused()
    {
        const int declared = 1024 * 1024;
        var partialHeadSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = ScriptedBackend.Start(async (connection, cancellationToken) =>
        {
            while (await connection.ReadRequestHeadAsync(cancellationToken) is { } head)
            {
                if (head.StartLine.StartsWith("POST /partial ", StringComparison.Ordinal))
                {
                    partialHeadSeen.TrySetResult();
                }

                var (framing, length) = Http1StreamReader.FramingOf(head) ?? (Http1Framing.None, 0);
                var (body, _) = await connection.Reader.ReadBodyAsync(framing, length, cancellationToken);
                await connection.WriteAsync(ScriptedBackend.Response($"{body.Length} bytes"), cancellationToken);
            }
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        await using (var client = await ConnectAsync(proxy))
        {
            await client.SendAsync($"POST /partial HTTP/1.1\r\nHost: a\r\nContent-Length: {declared}\r\n\r\n");
            await client.SendAsync(new byte[10 * 1024]);

            // The body is streamed, so the backend has the head before the client is gone.
            await partialHeadSeen.Task.WaitAsync(RawHttp1Client.Patience);
        }

        // The backend connection that carried the partial body must end, not go back to the pool.
        var partial = Assert.Single(backend.Connections);
        await partial.Ended.WaitAsync(RawHttp1Client.Patience);
        Assert.Empty(partial.Requests);
        Assert.NotNull(partial.Error);

        await using var next = await ConnectAsync(proxy);
        await next.SendAsync("POST /after HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nafter");
        Assert.Equal("5 bytes", (await next.ExpectResponseAsync(200)).BodyText);

        // The next request went out on a fresh backend connection, as the first thing on it.
        var fresh = Assert.Single(backend.Connections, c => c.Heads.Any(h => h.StartLine.StartsWith("POST /after ", StringComparison.Ordinal)));
        Assert.NotSame(partial, fresh);
        Assert.StartsWith("POST /after ", fresh.Heads[0].StartLine, StringComparison.Ordinal);
    }
}

public sealed class Http1RejectionTestsKestrel : Http1RejectionTests
{
    private protected override Http1Server Server => Http1Server.Kestrel;

    private protected override int LowerCaseVersionStatus => 505;
}

public sealed class Http1RejectionTestsGatehouse : Http1RejectionTests
{
    private protected override Http1Server Server => Http1Server.Gatehouse;

    private protected override int LowerCaseVersionStatus => 400;

    /// <summary>
    /// Kestrel reads "gzip, chunked" as chunked and the proxy then forwarded the gzip bytes with nothing
    /// saying they are gzip; the proxy's own server takes only a plain "chunked".
    /// </summary>
    [Fact]
    public Task AChunkedBodyUnderAnotherCodingIsRefused()
        => BadRequestIsRefusedTheConnectionClosedAndNothingForwarded(
            "gzip, chunked",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            400);
}
