using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Http1.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Message framing through the client leg: bodies both ways (Content-Length, chunked, close-delimited),
/// bodiless responses, interim responses, upgrades, and the response head the server writes.
/// </summary>
public abstract class Http1MessageTests : Http1ServerTests
{
    private const int LargeSize = 2 * 1024 * 1024;

    /// <summary>A deterministic, non-repeating-looking pattern, so a lost or duplicated block shows in the hash.</summary>
    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((uint)i * 2654435761u >> 24);
        }

        return bytes;
    }

    private static string Digest(byte[] bytes) => $"{bytes.Length}:{Convert.ToHexString(SHA256.HashData(bytes))}";

    [Fact]
    public async Task HeadResponseHasTheBackendsContentLengthAndNoBody()
    {
        await using var backend = ScriptedBackend.Answering(r => r.Method == "HEAD"
            ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
            : ScriptedBackend.Response("hello world", "Content-Type: text/plain"));
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = await client.ExpectResponseAsync(200, toHead: true);
        Assert.Equal("11", head.Head.Get("Content-Length"));
        Assert.False(head.Head.Has("Transfer-Encoding"));

        // Any body byte after the HEAD response would be read as the next status line and fail the parse.
        await client.SendAsync("GET /h HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("hello world", (await client.ExpectResponseAsync(200)).BodyText);
        Assert.Equal(["HEAD", "GET"], backend.Requests.Select(r => r.Method));
    }

    public static TheoryData<string, string?> BodilessResponses => new()
    {
        { "HTTP/1.1 204 No Content\r\nX-B: 1\r\n\r\n", null },
        { "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n", null },

        // A 304 may carry the selected representation's length (RFC 9110 8.6); Kestrel passes it on.
        { "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\nContent-Length: 42\r\n\r\n", "42" },
    };

    [Theory]
    [MemberData(nameof(BodilessResponses))]
    public async Task BodilessStatusHasNoBodyNorChunkedFramingAndTheConnectionIsReused(string backendResponse, string? contentLength)
    {
        await using var backend = ScriptedBackend.Answering(r => r.Target == "/next" ? ScriptedBackend.Response("next") : backendResponse);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);
        var status = int.Parse(backendResponse.AsSpan(9, 3), CultureInfo.InvariantCulture);

        await client.SendAsync("GET /bodiless HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ExpectResponseAsync(status);

        Assert.False(response.Head.Has("Transfer-Encoding"));
        Assert.Equal(contentLength, response.Head.Get("Content-Length"));
        Assert.Empty(response.Body);

        // A stray "0\r\n\r\n" or body byte would be read as the next status line.
        await client.SendAsync("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("next", (await client.ExpectResponseAsync(200)).BodyText);
        Assert.False(client.ServerClosed);
    }

    [Fact]
    public async Task ChunkedRequestBodyWithExtensionsAndTrailersReachesTheBackendExactly()
    {
        await using var backend = ScriptedBackend.Answering(r => ScriptedBackend.Response(r.BodyText));
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        // Split across writes at awkward places: inside a chunk-size line, inside data, inside a CRLF.
        string[] writes =
        [
            "POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel",
            "lo\r\n1",
            "0;name=\"quoted value\"\r\n, chunked \r\nbody\r",
            "\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
        ];
        foreach (var write in writes)
        {
            await client.SendAsync(write);
        }

        const string expected = "hello, chunked \r\nbody0123456789";
        Assert.Equal(expected, (await client.ExpectResponseAsync(200)).BodyText);
        var request = Assert.Single(backend.Requests);
        Assert.Equal(expected, request.BodyText);

        // The body ended exactly where the last chunk said: the connection still reads requests.
        await client.SendAsync("POST /after HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nafter");
        Assert.Equal("after", (await client.ExpectResponseAsync(200)).BodyText);
    }

    [Fact]
    public async Task LargeUploadArrivesByteExact()
    {
        var payload = Pattern(LargeSize);
        await using var backend = ScriptedBackend.Answering(r => ScriptedBackend.Response(Digest(r.Body)));
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync($"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {payload.Length}\r\n\r\n");
        await client.SendAsync(payload);

        Assert.Equal(Digest(payload), (await client.ExpectResponseAsync(200)).BodyText);
        await client.SendAsync("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(Digest([]), (await client.ExpectResponseAsync(200)).BodyText);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LargeDownloadArrivesByteExact(bool chunkedFromBackend)
    {
        var payload = Pattern(LargeSize);
        await using var backend = ScriptedBackend.Start(async (connection, cancellationToken) =>
        {
            while (await connection.ReadRequestAsync(cancellationToken) is not null)
            {
                if (!chunkedFromBackend)
                {
                    await connection.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {payload.Length}\r\n\r\n", cancellationToken);
                    await connection.WriteAsync(payload, cancellationToken);
                    continue;
                }

                await connection.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", cancellationToken);
                for (var offset = 0; offset < payload.Length; offset += 60_000)
                {
                    var size = Math.Min(60_000, payload.Length - offset);
                    await connection.WriteAsync([.. Encoding.ASCII.GetBytes($"{size:x}\r\n"), .. payload.AsSpan(offset, size), .. "\r\n"u8], cancellationToken);
                }

                await connection.WriteAsync("0\r\n\r\n", cancellationToken);
            }
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync("GET /download HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ExpectResponseAsync(200);

            Assert.Equal(chunkedFromBackend ? Http1Framing.Chunked : Http1Framing.ContentLength, response.Framing);
            Assert.Equal(Digest(payload), Digest(response.Body));
        }
    }

    [Fact]
    public async Task ExpectContinueIsAnsweredBeforeTheBodyIsSent()
    {
        await using var backend = ScriptedBackend.Start(async (connection, cancellationToken) =>
        {
            while (await connection.ReadRequestHeadAsync(cancellationToken) is { } head)
            {
                if (head.HasToken("Expect", "100-continue"))
                {
                    await connection.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n", cancellationToken);
                }

                var (_, length) = Http1StreamReader.FramingOf(head) ?? (Http1Framing.None, 0);
                var body = await connection.Reader.ReadExactAsync(length, cancellationToken);
                await connection.WriteAsync(ScriptedBackend.Response("got " + Encoding.UTF8.GetString(body)), cancellationToken);
            }
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
        var interim = await client.ReadResponseAsync();
        Assert.Equal(100, interim.Status);
        Assert.Equal("HTTP/1.1 100 Continue", interim.Head.StartLine);
        Assert.Empty(interim.Head.Fields);

        await client.SendAsync("hello world");
        Assert.Equal("got hello world", (await client.ExpectResponseAsync(200)).BodyText);
        Assert.False(client.ServerClosed);
    }

    [Fact]
    public async Task UpgradeSwitchesToATunnelBothWays()
    {
        await using var backend = ScriptedBackend.Start(async (connection, cancellationToken) =>
        {
            var head = await connection.ReadRequestHeadAsync(cancellationToken);
            if (head is null || !head.HasToken("Connection", "upgrade") || head.Get("Upgrade") != "websocket")
            {
                await connection.WriteAsync(ScriptedBackend.Response("no upgrade asked"), cancellationToken);
                return;
            }

            await connection.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhello from the backend", cancellationToken);

            // Upper-cases whatever arrives, so the client can tell the backend answered and not an echo on the way.
            var buffer = new byte[4096];
            int read;
            while ((read = await connection.Reader.ReadSomeAsync(buffer, cancellationToken)) > 0)
            {
                await connection.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(buffer, 0, read).ToUpperInvariant()), cancellationToken);
            }
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        var response = await client.ExpectResponseAsync(101);
        Assert.Equal("websocket", response.Head.Get("Upgrade"));
        Assert.True(response.Head.HasToken("Connection", "upgrade"), response.ToString());
        Assert.False(response.Head.Has("Content-Length"));
        Assert.False(response.Head.Has("Transfer-Encoding"));

        Assert.Equal("hello from the backend", Encoding.ASCII.GetString(await client.ReadExactAsync(22)));
        await client.SendAsync("ping");
        Assert.Equal("PING", Encoding.ASCII.GetString(await client.ReadExactAsync(4)));
        await client.SendAsync("and a longer message");
        Assert.Equal("AND A LONGER MESSAGE", Encoding.ASCII.GetString(await client.ReadExactAsync(20)));

        // The client ends its side; the backend sees the end, closes, and the proxy passes the close on.
        client.ShutdownSend();
        await client.AssertServerClosesAsync();
        var tunnel = Assert.Single(backend.Connections);
        await tunnel.Ended.WaitAsync(RawHttp1Client.Patience);
        Assert.Null(tunnel.Error);
    }

    [Fact]
    public async Task ResponseHeadHasTheBackendsFieldsADateAndNoServer()
    {
        await using var backend = ScriptedBackend.Answering(_ => ScriptedBackend.Response("hello", "Content-Type: text/plain", "X-Backend: yes"));
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /shape HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        Assert.Equal("HTTP/1.1 200 OK", response.Head.StartLine);
        Assert.Equal("hello", response.BodyText);

        // Exactly these, in any order: the backend's three, and the Date Kestrel adds when the backend
        // sent none (RFC 9110 6.6.1). No Server (AddServerHeader is off), no Connection on a kept connection.
        Assert.Equal(
            ["content-length", "content-type", "date", "x-backend"],
            response.Head.Fields.Select(f => f.Key.ToLowerInvariant()).Order(StringComparer.Ordinal));
        Assert.Equal("5", response.Head.Get("Content-Length"));
        Assert.Equal("text/plain", response.Head.Get("Content-Type"));
        Assert.Equal("yes", response.Head.Get("X-Backend"));
        var date = response.Head.Get("Date")!;
        Assert.True(
            DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
            "not an IMF-fixdate: " + date);
    }

    [Fact]
    public async Task BackendDateIsPassedOnUnchanged()
    {
        const string date = "Tue, 01 Jan 2030 00:00:00 GMT";
        await using var backend = ScriptedBackend.Answering(_ => ScriptedBackend.Response("ok", "Date: " + date));
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET /date HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ExpectResponseAsync(200);

        Assert.Equal(date, response.Head.Get("Date"));
    }

    [Fact]
    public async Task AbsoluteFormTargetReachesTheBackendInOriginForm()
    {
        await using var backend = ScriptedBackend.Answering(r => ScriptedBackend.Response("ok"));
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        await using var client = await ConnectAsync(proxy);

        await client.SendAsync("GET http://a.test/x?y HTTP/1.1\r\nHost: a.test\r\n\r\n");
        await client.ExpectResponseAsync(200);

        var request = Assert.Single(backend.Requests);
        Assert.Equal("/x?y", request.Target);
        Assert.Equal("a.test", request.Head.Get("Host"));
    }
}

public sealed class Http1MessageTestsKestrel : Http1MessageTests
{
    private protected override Http1Server Server => Http1Server.Kestrel;
}

public sealed class Http1MessageTestsGatehouse : Http1MessageTests
{
    private protected override Http1Server Server => Http1Server.Gatehouse;
}
