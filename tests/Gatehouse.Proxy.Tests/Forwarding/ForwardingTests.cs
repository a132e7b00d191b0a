using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Forwarding;

public abstract class ForwardingTests : UpstreamClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>Backend that answers with the request line and headers it received, one per line.</summary>
    private static Task<TestBackend> StartEchoBackendAsync() => TestBackend.StartAsync(async context =>
    {
        var sb = new StringBuilder();
        sb.Append("method=").Append(context.Request.Method).Append('\n');
        sb.Append("target=").Append(context.Features.Get<IHttpRequestFeature>()!.RawTarget).Append('\n');
        foreach (var header in context.Request.Headers)
        {
            sb.Append(header.Key.ToLowerInvariant()).Append('=').Append(header.Value.ToString()).Append('\n');
        }

        await context.Response.WriteAsync(sb.ToString());
    });

    private static Dictionary<string, string> ParseEcho(string body)
        => body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public async Task MethodTargetHostAndForwardedHeaders()
    {
        await using var backend = await StartEchoBackendAsync();
        await using var proxy = await StartProxyAsync(Of(
            [Host("app.example.com", Prefix("/api", "api"))], [Backend("api", backend.Endpoint)]));

        // The client must not normalize either: send the target verbatim.
        const string target = "/api/a%2Fb/%7Euser/./x%20y;p=1?x=1&y=%20z&y=2&z=%2F";
        var uri = new Uri(proxy.BaseAddress + target[1..], new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(HttpMethod.Put, uri);
        request.Headers.Host = "App.Example.com:8443";
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.1.1");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");
        request.Content = new StringContent("payload");
        using var response = await proxy.Client.SendAsync(request);
        var echo = ParseEcho(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", echo["method"]);
        Assert.Equal(target, echo["target"]);
        Assert.Equal("App.Example.com:8443", echo["host"]);
        Assert.Equal("10.1.1.1, 127.0.0.1", echo["x-forwarded-for"]);
        Assert.Equal("http", echo["x-forwarded-proto"]);
        Assert.Equal("App.Example.com:8443", echo["x-forwarded-host"]);
        Assert.Equal(proxy.Server.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), echo["x-forwarded-port"]);
        Assert.Equal("kept", echo["x-custom"]);
        Assert.Equal("7", echo["content-length"]);
    }

    [Fact]
    public async Task CustomMethodAndEmptyBodyAreForwarded()
    {
        await using var backend = await StartEchoBackendAsync();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var request = new HttpRequestMessage(new HttpMethod("PURGE"), "/cache/item");
        using var response = await proxy.Client.SendAsync(request);
        var echo = ParseEcho(await response.Content.ReadAsStringAsync());

        Assert.Equal("PURGE", echo["method"]);
        Assert.False(echo.ContainsKey("transfer-encoding"));
    }

    [Fact]
    public async Task HopByHopRequestHeadersAreStripped()
    {
        await using var backend = await StartEchoBackendAsync();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Connection.Add("X-Per-Hop");
        request.Headers.TryAddWithoutValidation("X-Per-Hop", "secret");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("Proxy-Connection", "keep-alive");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic Zm9vOmJhcg==");
        request.Headers.TryAddWithoutValidation("TE", "gzip");
        request.Headers.TryAddWithoutValidation("X-End-To-End", "yes");
        using var response = await proxy.Client.SendAsync(request);
        var echo = ParseEcho(await response.Content.ReadAsStringAsync());

        Assert.Equal("yes", echo["x-end-to-end"]);
        Assert.False(echo.ContainsKey("x-per-hop"));
        Assert.False(echo.ContainsKey("keep-alive"));
        Assert.False(echo.ContainsKey("proxy-connection"));
        Assert.False(echo.ContainsKey("proxy-authorization"));
        Assert.False(echo.ContainsKey("te"));
        Assert.False(echo.TryGetValue("connection", out var connection) && connection.Contains("x-per-hop", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TeTrailersIsForwarded()
    {
        await using var backend = await StartEchoBackendAsync();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        using var response = await proxy.Client.SendAsync(request);
        var echo = ParseEcho(await response.Content.ReadAsStringAsync());

        Assert.Equal("trailers", echo["te"]);
    }

    [Fact]
    public async Task HopByHopResponseHeadersAreStripped()
    {
        // A raw backend, so the response carries exactly the hop-by-hop headers we want to see removed.
        await using var backend = await RawBackend.StartAsync(
            "HTTP/1.1 200 OK\r\n" +
            "Connection: X-Per-Hop, keep-alive\r\n" +
            "Keep-Alive: timeout=5\r\n" +
            "X-Per-Hop: secret\r\n" +
            "Proxy-Authenticate: Basic\r\n" +
            "Proxy-Connection: keep-alive\r\n" +
            "X-End-To-End: yes\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            "\r\n" +
            "5\r\nhello\r\n0\r\n\r\n");
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.True(response.Headers.Contains("X-End-To-End"));
        Assert.False(response.Headers.Contains("X-Per-Hop"));
        Assert.False(response.Headers.Contains("Keep-Alive"));
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        Assert.False(response.Headers.Contains("Proxy-Connection"));
        Assert.DoesNotContain(response.Headers.Connection, c => c.Equals("X-Per-Hop", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task LargeBodiesAreStreamedBothWays()
    {
        var payload = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    total += read;
                }

                await context.Response.WriteAsync($"{total}:{Convert.ToHexString(sha.GetHashAndReset())}");
            }
            else
            {
                await context.Response.Body.WriteAsync(payload);
            }
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var upload = await proxy.Client.PostAsync("/upload", new ByteArrayContent(payload));
        var download = await proxy.Client.GetByteArrayAsync("/download");

        Assert.Equal($"{payload.Length}:{Convert.ToHexString(SHA256.HashData(payload))}", await upload.Content.ReadAsStringAsync());
        Assert.Equal(payload.Length, download.Length);
        Assert.True(payload.AsSpan().SequenceEqual(download));
    }

    [Fact]
    public async Task ResponsesOfSeveralBlocksFollowOneAnotherOnOneKeepAliveConnection()
    {
        // A body over several 4 KiB blocks, with a Content-Length, sent as head and body separately
        // (as nginx's sendfile does): every response on the reused connections must arrive whole.
        var payload = RandomNumberGenerator.GetBytes(16 * 1024 + 17);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentLength = payload.Length;
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(payload);
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        for (var i = 0; i < 5; i++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var body = await proxy.Client.GetByteArrayAsync($"/file/{i}", timeout.Token);
            Assert.True(payload.AsSpan().SequenceEqual(body), $"response {i}");
        }
    }

    [Fact]
    public async Task ResponseIsNotBuffered()
    {
        var clientSawFirstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await context.Response.WriteAsync("first|");
            await context.Response.Body.FlushAsync();

            // Only finish once the client proved it received the first chunk through the proxy.
            await clientSawFirstChunk.Task.WaitAsync(Patience);
            await context.Response.WriteAsync("rest");
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var response = await proxy.Client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = await ReadUntilAsync(body, "first|").WaitAsync(Patience);
        clientSawFirstChunk.SetResult();
        var rest = await new StreamReader(body).ReadToEndAsync();

        Assert.Equal("first|", first);
        Assert.Equal("rest", rest);
    }

    [Fact]
    public async Task ChunkedRequestBodyIsStreamedNotBuffered()
    {
        var backendSawFirstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? transferEncoding = null;
        long? contentLength = null;
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            transferEncoding = context.Request.Headers.TransferEncoding;
            contentLength = context.Request.ContentLength;
            var first = await ReadUntilAsync(context.Request.Body, "part1|");
            backendSawFirstChunk.SetResult();
            var rest = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync(first + rest);
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        var content = new GatedContent("part1|", backendSawFirstChunk.Task, "part2");
        using var response = await proxy.Client.PostAsync("/upload", content);

        Assert.Equal("part1|part2", await response.Content.ReadAsStringAsync());
        Assert.Equal("chunked", transferEncoding);
        Assert.Null(contentLength);
    }

    [Fact]
    public async Task TrailersAreForwardedOverHttp2()
    {
        // gRPC-style: HTTP/2 on both legs, trailers after the body.
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.WriteAsync("body");
            context.Response.AppendTrailer("grpc-status", "0");
            context.Response.AppendTrailer("x-checksum", "abc123");
        }, HttpProtocols.Http2);
        await using var proxy = await StartProxyAsync(
            CatchAll(Backend("g", backend.Endpoint) with { Protocol = BackendProtocol.Grpc }),
            protocols: HttpProtocols.Http2);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/pkg.Service/Method")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        using var response = await proxy.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("body", body);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("abc123", response.TrailingHeaders.GetValues("x-checksum").Single());
    }

    [Fact]
    public async Task WebSocketEchoThroughTheProxy()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
            }
        }, webSockets: true);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("ws", backend.Endpoint)));

        using var client = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Patience);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Server.HttpPort}/chat"), timeout.Token);
        var received = new List<string>();
        foreach (var message in new[] { "hello", "world", new string('x', 20000) })
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
            received.Add(await ReceiveTextAsync(client, timeout.Token));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal(HttpStatusCode.SwitchingProtocols, (HttpStatusCode)101);
        Assert.Equal(["hello", "world", new string('x', 20000)], received);
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal("bye", client.CloseStatusDescription);
    }

    [Fact]
    public async Task ExpectContinueIsForwardedAndBodyFollows()
    {
        string? expect = null;
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            expect = context.Request.Headers.Expect;
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync("got:" + body);
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) });

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(proxy.BaseAddress, "/upload")) { Content = new StringContent("data") };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request).WaitAsync(Patience);

        Assert.Equal("got:data", await response.Content.ReadAsStringAsync());
        Assert.Equal("100-continue", expect);
    }

    [Fact]
    public async Task ExpectContinueRejectedByBackendGetsNoContinue()
    {
        // Kestrel itself sends "100 Continue" even when the app never reads the body, so the refusing
        // backend is a raw one: it answers 401 at once and never asks for the body.
        await using var backend = await RawBackend.StartAsync(
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        // A raw client sees the exact byte stream: had the proxy read the body before the backend
        // asked for it, Kestrel would have sent "100 Continue" ahead of the final response. The body is
        // declared large: SocketsHttpHandler sends bodies up to 1 KB even after a refusal, to keep the
        // connection reusable.
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, proxy.Server.HttpPort);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"));
        var head = await ReadHeadAsync(stream).WaitAsync(Patience);

        Assert.Contains("Expect: 100-continue", string.Join("|", backend.Received), StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectContinueClientGetsContinueOnlyWhenBackendReads()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync("got:" + body);
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, proxy.Server.HttpPort);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
        var interim = await ReadHeadAsync(stream).WaitAsync(Patience);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("data"));
        var final = await ReadHeadAsync(stream).WaitAsync(Patience);

        Assert.StartsWith("HTTP/1.1 100", interim, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", final, StringComparison.Ordinal);
    }

    /// <summary>Reads one response head (through the blank line) byte by byte.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    [Fact]
    public async Task NoConfigAnswers503()
    {
        await using var proxy = await StartProxyAsync();

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no configuration loaded\n", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Server"), "the proxy must not advertise itself");
    }

    [Fact]
    public async Task NoRouteAnswers404()
    {
        await using var proxy = await StartProxyAsync(Of([Host("app.example.com", Prefix("/", "b"))], [Backend("b")]));

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no route", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoEndpointsAnswers503NamingTheBackend()
    {
        await using var proxy = await StartProxyAsync(CatchAll(Backend("shop/web:http")));

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no endpoints available for shop/web:http\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ConnectRefusedAnswers502()
    {
        var closedPort = GetClosedPort();
        await using var proxy = await StartProxyAsync(CatchAll(Backend("gone", new EndpointConfig("127.0.0.1", closedPort))));

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("connect failed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowBackendAnswers504()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("too late");
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("slow", backend.Endpoint)), upstreamTimeout: TimeSpan.FromMilliseconds(300));

        using var response = await proxy.Client.GetAsync("/");
        release.SetResult();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("timed out", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendStallingMidBodyIsCutOffAfterTheUpstreamTimeout()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await context.Response.WriteAsync("partial|");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(context.RequestAborted);
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("stall", backend.Endpoint)), upstreamTimeout: TimeSpan.FromMilliseconds(300));

        using var response = await proxy.Client.GetAsync("/", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = await ReadUntilAsync(body, "partial|");

        // The proxy resets the client connection instead of ending the body as if it were complete.
        // (IOException, not the TimeoutException of WaitAsync, which is what a hang would produce.)
        await Assert.ThrowsAnyAsync<IOException>(() => new StreamReader(body).ReadToEndAsync().WaitAsync(Patience));
        release.SetResult();
        Assert.Equal("partial|", first);
    }

    private static readonly TimeSpan UpgradeTimeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task IdleWebSocketOutlivesTheUpstreamTimeout()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[256];
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            await socket.SendAsync(buffer.AsMemory(0, result.Count), WebSocketMessageType.Text, true, CancellationToken.None);
            await socket.ReceiveAsync(buffer, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }, webSockets: true);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("ws", backend.Endpoint)), upstreamTimeout: UpgradeTimeout);

        using var client = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Patience);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Server.HttpPort}/"), timeout.Token);

        // Stay idle for well over one upstream timeout: the tunnel must not be cut. (The timeout
        // itself must leave room for the 101 on a loaded machine, hence a full second.)
        await Task.Delay(UpgradeTimeout * 2.5, timeout.Token);
        await client.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        var echoed = await ReceiveTextAsync(client, timeout.Token);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);

        Assert.Equal("ping", echoed);
    }

    [Fact]
    public async Task RoundRobinAlternatesBetweenEndpoints()
    {
        await using var a = await TestBackend.StartTextAsync("a");
        await using var b = await TestBackend.StartTextAsync("b");
        await using var proxy = await StartProxyAsync(CatchAll(Backend("rr", a.Endpoint, b.Endpoint)));

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await proxy.Client.GetStringAsync("/"));
        }

        // Strict alternation, whichever endpoint goes first.
        for (var i = 2; i < answers.Count; i++)
        {
            Assert.Equal(answers[i - 2], answers[i]);
        }

        Assert.NotEqual(answers[0], answers[1]);
        Assert.Equal(3, answers.Count(x => x == "a"));
    }

    [Fact]
    public async Task ResponseStatusAndHeadersAreCopied()
    {
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status418ImATeapot;
            context.Response.Headers["X-Multi"] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);
            context.Response.Headers.SetCookie = new Microsoft.Extensions.Primitives.StringValues(["c1=1", "c2=2"]);
            context.Response.ContentType = "application/x-tea";
            return context.Response.WriteAsync("short and stout");
        });
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var response = await proxy.Client.GetAsync("/");

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal(["a", "b"], response.Headers.GetValues("X-Multi"));
        Assert.Equal(["c1=1", "c2=2"], response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("application/x-tea", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("short and stout", await response.Content.ReadAsStringAsync());
        Assert.Equal("Kestrel", response.Headers.Server.ToString());
    }

    private static int GetClosedPort() => Gatehouse.Tests.Infrastructure.ClosedPort.Next();

    private static async Task<string> ReadUntilAsync(Stream stream, string expected)
    {
        var buffer = new byte[expected.Length];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total));
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var total = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(total), cancellationToken) is var r
                ? new WebSocketReceiveResult(r.Count, r.MessageType, r.EndOfMessage)
                : throw new InvalidOperationException();
            total += result.Count;
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>Chunked content that sends its second part only after <paramref name="gate"/> completes.</summary>
    private sealed class GatedContent(string first, Task gate, string second) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(first));
            await stream.FlushAsync();
            await gate.WaitAsync(Patience);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(second));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}

public sealed class ForwardingTestsOverSockets : ForwardingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Sockets;
}

public sealed class ForwardingTestsOverLean : ForwardingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Lean;
}

public sealed class ForwardingTestsOverEpollLean : ForwardingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Lean;

    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}

public sealed class ForwardingTestsOverEpollSockets : ForwardingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Sockets;

    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}
