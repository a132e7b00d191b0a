using System.Net;
using System.Text;
using Gatehouse.Model;
using Gatehouse.Tests.Http2.Infrastructure;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http2;

/// <summary>Requests arriving over the proxy's own HTTP/2 server reach HTTP/1.1 and HTTP/2 backends intact.</summary>
public sealed class Http2ForwardingTests
{
    private const int FiveMegabytes = 5 * 1024 * 1024;

    private static Dictionary<string, List<string>> ParseHeaderLines(string body)
        => body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2))
            .GroupBy(p => p[0], p => p[1])
            .ToDictionary(g => g.Key, g => g.ToList());

    [Fact]
    public async Task GetOverH2cIsForwarded()
    {
        await using var setup = await Http2Setup.StartAsync();
        using var client = setup.H2cClient();

        using var response = await client.GetAsync("/headers");
        var headers = ParseHeaderLines(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal([$"127.0.0.1:{setup.Port}"], headers["host"]);
        Assert.Equal(["http"], headers["x-forwarded-proto"]);
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith(':'));
    }

    [Fact]
    public async Task GetOverTlsWithAlpnH2IsForwarded()
    {
        await using var setup = await Http2Setup.StartAsync(configure: o => o with { HttpsPort = 0 });
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{setup.Proxy.Server.HttpsPort}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.GetAsync("/headers");
        var headers = ParseHeaderLines(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(["https"], headers["x-forwarded-proto"]);
        Assert.Equal([$"127.0.0.1:{setup.Proxy.Server.HttpsPort}"], headers["host"]);
    }

    [Fact]
    public async Task RawTlsConnectionNegotiatesH2AndIsServed()
    {
        await using var setup = await Http2Setup.StartAsync(configure: o => o with { HttpsPort = 0 });
        await using var connection = await RawHttp2Connection.ConnectTlsAsync(setup.Proxy.Server.HttpsPort, "tls.gatehouse.test");
        await connection.HandshakeAsync();

        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/headers", "tls.gatehouse.test", "https"), endStream: true);
        var response = await connection.ReadResponseAsync(1);

        Assert.Equal(200, response.Status);
        var headers = ParseHeaderLines(response.BodyText);
        Assert.Equal(["tls.gatehouse.test"], headers["host"]);
        Assert.Equal(["https"], headers["x-forwarded-proto"]);
    }

    [Fact]
    public async Task AuthorityBecomesHostCookiesAreJoinedAndNoPseudoHeaderIsForwarded()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/headers?q=1", "app.gatehouse.test:8080", "http",
            ("cookie", "a=1"), ("x-custom", "kept"), ("cookie", "b=2")), endStream: true);
        var response = await connection.ReadResponseAsync(1);

        Assert.Equal(200, response.Status);
        var received = Assert.Single(setup.Backend.Received);
        Assert.Equal(("GET", "/headers?q=1"), (received.Method, received.Target));
        Assert.Equal(["app.gatehouse.test:8080"], received.Headers["host"]);
        Assert.Equal(["a=1; b=2"], received.Headers["cookie"]);
        Assert.Equal(["kept"], received.Headers["x-custom"]);
        Assert.Equal(["http"], received.Headers["x-forwarded-proto"]);
        Assert.DoesNotContain(received.Headers.Keys, k => k.StartsWith(':'));
    }

    [Fact]
    public async Task CookiesAreJoinedOnEveryRequestOfAConnection()
    {
        // Streams are reused: the second and third requests decode into objects the first one used.
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            var stream = 1 + (2 * i);
            await connection.SendHeadersAsync(stream, RawHttp2Connection.Request("GET", "/headers", "app.gatehouse.test", "http",
                ("cookie", $"a={i}"), ("cookie", "b=2"), ("x-custom", "kept"), ("cookie", "c=3")), endStream: true);
            Assert.Equal(200, (await connection.ReadResponseAsync(stream)).Status);
        }

        Assert.Equal(
            ["a=0; b=2; c=3", "a=1; b=2; c=3", "a=2; b=2; c=3"],
            setup.Backend.Received.Select(r => Assert.Single(r.Headers["cookie"])).ToArray());
    }

    [Fact]
    public async Task LargeUploadWithContentLengthArrivesIntact()
    {
        var body = Http2TestBackend.PatternBytes(FiveMegabytes);
        await using var setup = await Http2Setup.StartAsync();
        using var client = setup.H2cClient();

        using var response = await client.PostAsync("/upload", new ByteArrayContent(body));

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(Http2TestBackend.UploadAnswer(body), await response.Content.ReadAsStringAsync());
        Assert.Equal([FiveMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture)], setup.Backend.Received.Single().Headers["content-length"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LargeRawUploadArrivesIntact(bool declareLength)
    {
        var body = Http2TestBackend.PatternBytes(FiveMegabytes);
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        (string, string)[] extra = declareLength ? [("content-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))] : [];
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("POST", "/upload", extra: extra), endStream: false);
        await connection.SendBodyAsync(1, body, endStream: true);
        var response = await connection.ReadResponseAsync(1);

        Assert.Equal((200, Http2TestBackend.UploadAnswer(body)), (response.Status, response.BodyText));
    }

    [Fact]
    public async Task LargeDownloadArrivesIntact()
    {
        await using var setup = await Http2Setup.StartAsync();
        using var client = setup.H2cClient();

        var body = await client.GetByteArrayAsync($"/bytes/{FiveMegabytes}");

        Assert.Equal(Http2TestBackend.PatternBytes(FiveMegabytes), body);
    }

    [Fact]
    public async Task HundredConcurrentRequestsOnOneConnectionGetTheirOwnResponses()
    {
        await using var setup = await Http2Setup.StartAsync();
        using var client = setup.H2cClient();

        // One warm-up request opens the connection the others then share.
        Assert.Equal("warm", await client.GetStringAsync("/id/warm"));
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            using var response = await client.GetAsync($"/id/request-{i}");
            return (response.StatusCode, response.Version, Body: await response.Content.ReadAsStringAsync());
        }));

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20, $"request-{i}"), responses[i]);
        }
    }

    [Fact]
    public async Task HeadResponseEndsWithTheHeadersFrame()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();

        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("HEAD", "/bytes/1234"), endStream: true);
        var response = await connection.ReadResponseAsync(1);

        Assert.Equal(200, response.Status);
        Assert.Empty(response.Body);
        var streamFrames = response.Frames.Where(f => f.StreamId == 1).ToList();
        Assert.DoesNotContain(streamFrames, f => f.Type == H2.Data);
        Assert.True(streamFrames[^1].Type == H2.Headers && streamFrames[^1].EndStream, $"last frame: {streamFrames[^1]}");
    }

    [Fact]
    public async Task TrailersFromAnHttp2BackendReachTheClient()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.WriteAsync("body");
            context.Response.AppendTrailer("grpc-status", "0");
            context.Response.AppendTrailer("x-checksum", "abc123");
        }, HttpProtocols.Http2);
        await using var proxy = await ProxyHarness.StartAsync(
            CatchAll(Backend("g", backend.Endpoint) with { Protocol = BackendProtocol.Grpc }),
            Http2Setup.Options());
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = proxy.BaseAddress,
        };

        using var request = new HttpRequestMessage(HttpMethod.Post, "/pkg.Service/Method")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("body", body);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("abc123", response.TrailingHeaders.GetValues("x-checksum").Single());
    }

    [Fact]
    public async Task ClientResetAbortsTheBackendRequestAndOtherStreamsGoOn()
    {
        await using var setup = await Http2Setup.StartAsync();
        var connection = await setup.ConnectAsync();
        await connection.SendHeadersAsync(1, RawHttp2Connection.Request("GET", "/slow"), endStream: true);
        await setup.Backend.WaitForSlowRequestsAsync();

        await connection.SendRstStreamAsync(1, H2.Cancel);

        await setup.Backend.SlowRequestAborted.WaitAsync(RawHttp2Connection.Patience);
        var other = await Http2Setup.GetAsync(connection, 3, "/id/other");
        Assert.Equal((200, "other"), (other.Status, other.BodyText));
        Assert.Equal(Encoding.UTF8.GetBytes("other"), other.Body);
    }
}
