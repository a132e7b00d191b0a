using System.Text;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Proxy.Http1;
using Gatehouse.Tests.Http1.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Connection management on the client leg: keep-alive, pipelining, Connection: close, HTTP/1.0's
/// defaults and the idle and request-head timeouts. Every request here is written byte by byte by
/// the test and every response read by its own strict parser, so a server that frames or closes
/// differently from Kestrel fails.
/// </summary>
public abstract class Http1ConnectionTests : Http1ServerTests
{
    /// <summary>A keep-alive backend answering "METHOD target body" with a Content-Length.</summary>
    private static ScriptedBackend EchoBackend()
        => ScriptedBackend.Answering(r => ScriptedBackend.Response($"{r.Method} {r.Target} {r.BodyText}"));

    [Fact]
    public async Task ThreeRequestsInTurnShareOneConnection()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        for (var i = 1; i <= 3; i++)
        {
            await client.SendAsync($"GET /k{i} HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ExpectResponseAsync(200);

            Assert.Equal("HTTP/1.1", response.Version);
            Assert.Equal($"GET /k{i} ", response.BodyText);
            Assert.False(response.Head.HasToken("Connection", "close"), "an HTTP/1.1 request without Connection: close keeps the connection");
        }

        Assert.False(client.ServerClosed);
        Assert.Equal(["/k1", "/k2", "/k3"], backend.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        // All three in one write: the server must not lose the bytes after the first request's head
        // (the second request's body included) while it is busy with the first.
        await client.SendAsync(
            "GET /p1 HTTP/1.1\r\nHost: a\r\n\r\n" +
            "POST /p2 HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\nhello pipelining" +
            "GET /p3 HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal("GET /p1 ", (await client.ExpectResponseAsync(200)).BodyText);
        Assert.Equal("POST /p2 hello pipelining", (await client.ExpectResponseAsync(200)).BodyText);
        Assert.Equal("GET /p3 ", (await client.ExpectResponseAsync(200)).BodyText);
        Assert.False(client.ServerClosed);
        Assert.Equal(["/p1", "/p2", "/p3"], backend.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task ConnectionCloseFromTheClientIsEchoedAndTheConnectionClosed()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        // Kestrel says so in the response (RFC 9112 9.6) and then closes.
        Assert.Equal("GET /c ", response.BodyText);
        Assert.Equal("close", response.Head.Get("Connection"));
        await client.AssertServerClosesAsync();
        Assert.False(client.ClosedByReset);
    }

    [Fact]
    public async Task Http10RequestIsAnsweredAndTheConnectionClosed()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /ten HTTP/1.0\r\nHost: a\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        // Kestrel answers with its own version, HTTP/1.1 (RFC 9110 6.2), and spells out the close.
        Assert.Equal("HTTP/1.1", response.Version);
        Assert.Equal(Http1Framing.ContentLength, response.Framing);
        Assert.Equal("GET /ten ", response.BodyText);
        Assert.Equal("close", response.Head.Get("Connection"));
        await client.AssertServerClosesAsync();
    }

    [Fact]
    public async Task Http10KeepAliveKeepsTheConnectionUntilARequestWithoutIt()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        for (var i = 1; i <= 2; i++)
        {
            await client.SendAsync($"GET /ka{i} HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
            var response = await client.ExpectResponseAsync(200);

            // An HTTP/1.0 client only knows the connection stays open if told (RFC 9112 9.3).
            Assert.Equal($"GET /ka{i} ", response.BodyText);
            Assert.Equal("keep-alive", response.Head.Get("Connection"));
            Assert.Equal(Http1Framing.ContentLength, response.Framing);
        }

        Assert.False(client.ServerClosed);
        await client.SendAsync("GET /last HTTP/1.0\r\nHost: a\r\n\r\n");
        Assert.Equal("GET /last ", (await client.ExpectResponseAsync(200)).BodyText);
        await client.AssertServerClosesAsync();
        Assert.Equal(3, backend.Requests.Count);
    }

    /// <summary>How a backend delivers a body without a Content-Length.</summary>
    public enum UnsizedBody
    {
        /// <summary>Transfer-Encoding: chunked on a keep-alive connection.</summary>
        Chunked,

        /// <summary>No framing field: the body ends when the backend closes the connection.</summary>
        CloseDelimited,
    }

    private static ScriptedBackend UnsizedBackend(UnsizedBody kind, string[] parts) => ScriptedBackend.Start(async (connection, cancellationToken) =>
    {
        while (await connection.ReadRequestAsync(cancellationToken) is not null)
        {
            if (kind == UnsizedBody.Chunked)
            {
                var body = new StringBuilder();
                foreach (var part in parts)
                {
                    body.Append($"{Encoding.UTF8.GetByteCount(part):x}\r\n{part}\r\n");
                }

                await connection.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n", cancellationToken);
            }
            else
            {
                await connection.WriteAsync("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", cancellationToken);
                foreach (var part in parts)
                {
                    await connection.WriteAsync(part, cancellationToken);
                }

                return;
            }
        }
    });

    [Theory]
    [InlineData(UnsizedBody.Chunked)]
    [InlineData(UnsizedBody.CloseDelimited)]
    public async Task UnsizedResponseReachesAnHttp10ClientCloseDelimited(UnsizedBody kind)
    {
        string[] parts = ["first part, ", "second part, ", "the end"];
        await using var backend = UnsizedBackend(kind, parts);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /stream HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        // HTTP/1.0 has no chunked coding: the only way left is to end the body by closing, keep-alive or not.
        Assert.Equal(Http1Framing.CloseDelimited, response.Framing);
        Assert.False(response.Head.Has("Transfer-Encoding"));
        Assert.False(response.Head.Has("Content-Length"));
        Assert.Equal("close", response.Head.Get("Connection"));
        Assert.Equal(string.Concat(parts), response.BodyText);
        Assert.True(client.ServerClosed);
    }

    [Theory]
    [InlineData(UnsizedBody.Chunked)]
    [InlineData(UnsizedBody.CloseDelimited)]
    public async Task UnsizedResponseReachesAnHttp11ClientChunked(UnsizedBody kind)
    {
        string[] parts = ["first part, ", "second part, ", "the end"];
        await using var backend = UnsizedBackend(kind, parts);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        Assert.Equal(Http1Framing.Chunked, response.Framing);
        Assert.Equal(string.Concat(parts), response.BodyText);

        // Chunked framing ends the body without ending the connection: it carries the next request.
        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(string.Concat(parts), (await client.ExpectResponseAsync(200)).BodyText);
        Assert.False(client.ServerClosed);
    }

    /// <summary>
    /// A request head that never ends is cut off after <see cref="Http1Limits.HeadersTimeout"/> (slowloris).
    /// Both servers answer 408 and close.
    /// </summary>
    [Fact]
    public async Task PartialRequestHeadIsCutOffAfterTheHeadersTimeout()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(
            CatchAll(Backend("b", backend.Endpoint)),
            new Http1Limits { HeadersTimeout = TimeSpan.FromSeconds(1), KeepAliveTimeout = TimeSpan.FromMinutes(10) });
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\nX-Still-Coming: ");

        // Kestrel answers 408 and closes.
        var response = await client.ExpectResponseAsync(408);
        Assert.Equal("close", response.Head.Get("Connection"));
        await client.AssertServerClosesAsync();
        Assert.Empty(backend.Heads);
    }

    /// <summary>
    /// A connection idle between requests is closed, without a response, after
    /// <see cref="Http1Limits.KeepAliveTimeout"/>, by either server.
    /// </summary>
    [Fact]
    public async Task IdleConnectionIsClosedAfterTheKeepAliveTimeout()
    {
        await using var backend = EchoBackend();
        await using var proxy = await StartProxyAsync(
            CatchAll(Backend("b", backend.Endpoint)),
            new Http1Limits { KeepAliveTimeout = TimeSpan.FromSeconds(1), HeadersTimeout = TimeSpan.FromMinutes(10) });
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /once HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("GET /once ", (await client.ExpectResponseAsync(200)).BodyText);

        await client.AssertServerClosesAsync();
        Assert.False(client.ClosedByReset);
        Assert.Single(backend.Requests);
    }
}

public sealed class Http1ConnectionTestsKestrel : Http1ConnectionTests
{
    private protected override Http1Server Server => Http1Server.Kestrel;
}

public sealed class Http1ConnectionTestsGatehouse : Http1ConnectionTests
{
    private protected override Http1Server Server => Http1Server.Gatehouse;
}
