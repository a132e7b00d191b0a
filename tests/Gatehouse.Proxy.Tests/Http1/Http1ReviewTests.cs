using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Model;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Http1;

/// <summary>
/// Findings of a review of the proxy's own HTTP/1.1 server, each proven on a raw socket against the
/// in-process proxy: what a backend's response can make the server send, and how the connection ends.
/// </summary>
public sealed class Http1ReviewTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static ProxyOptions Options() => ProxyHarness.LocalOptions() with { Http1Server = Http1Server.Gatehouse };

    [Fact]
    public async Task ABackendHeaderWithNonAsciiIsAnswered502NotAResetAsUnderKestrel()
    {
        // Kestrel refuses such a value when the forwarder sets it, so the client got a 502; the response
        // must not be marked started by a head that was never written.
        await using var backend = await RawBackend.StartAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Name: caf\u00e9\r\n\r\nok");
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();

        for (var i = 0; i < 2; i++)
        {
            await stream.WriteAsync("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
            var (head, body) = await ReadResponseAsync(stream);
            Assert.StartsWith("HTTP/1.1 502 ", head, StringComparison.Ordinal);
            Assert.DoesNotContain("caf", head, StringComparison.Ordinal);
            Assert.StartsWith("bad gateway", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A204FromTheBackendIsSentWithoutItsContentLength()
    {
        // A client that honoured the Content-Length of a 204 would read the next response's first five
        // bytes as this one's body (RFC 9110 8.6: a server MUST NOT send it).
        await using var backend = await RawBackend.StartAsync("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n");
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\nDELETE /y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"u8.ToArray());

        var answer = await ReadUntilClosedAsync(stream);
        var responses = answer.Split("HTTP/1.1 ", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, responses.Length);
        foreach (var response in responses)
        {
            Assert.StartsWith("204 No Content\r\n", response, StringComparison.Ordinal);
            Assert.Contains("\r\nX-A: 1\r\n", response, StringComparison.Ordinal);
            Assert.DoesNotContain("Content-Length", response, StringComparison.OrdinalIgnoreCase);
            Assert.EndsWith("\r\n\r\n", response, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AFinalAnswerToExpectContinueBeforeTheBodySaysTheConnectionCloses()
    {
        // The backend refuses without reading: no 100 is sent, the client keeps its body, the server cannot
        // find the next request's start and closes; RFC 9110 10.1.1 has it say so in the response.
        await using var backend = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return Task.CompletedTask;
        });
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"u8.ToArray());

        var answer = await ReadUntilClosedAsync(stream);
        Assert.StartsWith("HTTP/1.1 413 ", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatHalfClosesWhileTheBackendWorksGetsNoMadeUpResponse()
    {
        // The client's FIN fires RequestAborted; the forward is cancelled and answers nothing. Under
        // Kestrel the connection was aborted; here an empty "200 OK" went to the client, as if it succeeded.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            finally
            {
                aborted.TrySetResult();
            }
        });
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), Options());
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        await started.Task.WaitAsync(Patience);

        client.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream));
        await aborted.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task AnUploadAnsweredBeforeItsBodyWasReadIsDrainedAndTheConnectionKept()
    {
        // No route: the proxy answers 404 without reading the 4 MB body. Closing at once reset the
        // connection under the client's upload (which can cost it the unread 404 on a real network);
        // Kestrel read the body to its end and kept the connection.
        await using var backend = await TestBackend.StartTextAsync("ok");
        await using var proxy = await ProxyHarness.StartAsync(Of([Host("known", Prefix("/", "b"))], [Backend("b", backend.Endpoint)]), Options());
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        var body = new byte[4_000_000];
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /upload HTTP/1.1\r\nHost: unknown\r\nContent-Length: {body.Length}\r\n\r\n"));
        var upload = stream.WriteAsync(body).AsTask();

        var (head, _) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 404 ", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        await upload.WaitAsync(Patience);

        await stream.WriteAsync("GET /next HTTP/1.1\r\nHost: known\r\n\r\n"u8.ToArray());
        var (nextHead, nextBody) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 200 ", nextHead, StringComparison.Ordinal);
        Assert.Equal("ok", nextBody);
    }

    [Fact]
    public async Task ADrainedChunkedBodyIsFramedAsItWouldHaveBeenRead()
    {
        // The body (with a chunk-ext, a request lookalike inside and trailers) is dropped unread after the
        // 404, arriving in two parts; the backend sees only the request that follows it, nothing from inside.
        var paths = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var backend = await TestBackend.StartAsync(context =>
        {
            paths.Enqueue(context.Request.Path.Value!);
            return context.Response.WriteAsync("ok");
        });
        await using var proxy = await ProxyHarness.StartAsync(Of([Host("known", Prefix("/", "b"))], [Backend("b", backend.Endpoint)]), Options());
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        const string inner = "GET /smuggled HTTP/1.1\r\nHost: known\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /upload HTTP/1.1\r\nHost: unknown\r\nTransfer-Encoding: chunked\r\n\r\n{inner.Length:x};a=b\r\n{inner}\r\n"));
        var (head, _) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 404 ", head, StringComparison.Ordinal);

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{inner.Length:x}\r\n{inner}\r\n0\r\nX-Trailer: {inner.Length}\r\n\r\nGET /next HTTP/1.1\r\nHost: known\r\n\r\n"));
        var (nextHead, nextBody) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 200 ", nextHead, StringComparison.Ordinal);
        Assert.Equal("ok", nextBody);
        Assert.Equal(["/next"], paths);
    }

    [Fact]
    public async Task AnUnreadBodyTheClientNeverFinishesEndsTheConnectionAfterTheDrainTimeout()
    {
        await using var backend = await TestBackend.StartTextAsync("ok");
        var options = Options() with { Http1Limits = new Gatehouse.Proxy.Http1.Http1Limits { BodyDrainTimeout = TimeSpan.FromSeconds(1) } };
        await using var proxy = await ProxyHarness.StartAsync(Of([Host("known", Prefix("/", "b"))], [Backend("b", backend.Endpoint)]), options);
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: unknown\r\nContent-Length: 1000\r\n\r\n0123456789"u8.ToArray());

        // The 404, then the close once the drain gave up on the 990 bytes that never come.
        var answer = await ReadUntilClosedAsync(stream);
        Assert.StartsWith("HTTP/1.1 404 ", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeadlineTickBeforeTheFirstReadDoesNotCloseANewConnection()
    {
        // The host's once-a-second tick can reach a connection between its Register and the first read
        // that sets its keep-alive deadline; it found the Idle phase with a deadline of 0 and closed it.
        var input = new Pipe();
        var output = new Pipe();
        var context = new PipeConnection(new DuplexPipe(input.Reader, output.Writer));
        Gatehouse.Proxy.Hosting.RequestHandler handler = http =>
        {
            http.Response.ContentLength = 2;
            return new ValueTask(http.Response.WriteAsync("ok"));
        };
        await using var host = new Gatehouse.Proxy.Http1.Http1Host(handler, new Gatehouse.Proxy.Http1.Http1Limits(), static next => next, NullLogger.Instance);
        var connection = new Gatehouse.Proxy.Http1.Http1ServerConnection(context, handler, new Gatehouse.Proxy.Http1.Http1Limits(), host, NullLogger.Instance);

        connection.CheckDeadline(Environment.TickCount64);
        await input.Writer.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"u8.ToArray());
        await connection.ProcessAsync().WaitAsync(Patience);

        var answer = new StringBuilder();
        while (true)
        {
            var result = await output.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            foreach (var segment in result.Buffer)
            {
                answer.Append(Encoding.Latin1.GetString(segment.Span));
            }

            output.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nok", answer.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    public async Task AnIdleConnectionIsClosedAfterTheKeepAliveTimeout(string first)
    {
        // Before any request, and between requests: the deadline machinery starts from a connection's first read.
        await using var backend = await TestBackend.StartTextAsync("ok");
        var options = Options() with { Http1Limits = new Gatehouse.Proxy.Http1.Http1Limits { KeepAliveTimeout = TimeSpan.FromSeconds(1) } };
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), options);
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(first));

        var answer = await ReadUntilClosedAsync(stream);
        if (first.Length == 0)
        {
            Assert.Equal(string.Empty, answer);
        }
        else
        {
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
            Assert.EndsWith("\r\nok\r\n0\r\n\r\n", answer, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AHeadThatNeverEndsIsClosedAfterTheHeadersTimeout()
    {
        await using var backend = await TestBackend.StartTextAsync("ok");
        var options = Options() with { Http1Limits = new Gatehouse.Proxy.Http1.Http1Limits { HeadersTimeout = TimeSpan.FromSeconds(1) } };
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), options);
        using var client = await ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: "u8.ToArray());

        // Long before the 75 s keep-alive timeout: answered 408 (as Kestrel) and closed.
        var answer = await ReadUntilClosedAsync(stream);
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.Ordinal);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>A connection over two in-memory pipes: an abort fails the output, disposal completes both.</summary>
    private sealed class PipeConnection(IDuplexPipe transport) : ConnectionContext
    {
        private readonly CancellationTokenSource _closed = new();

        public override string ConnectionId { get; set; } = "review";

        public override Microsoft.AspNetCore.Http.Features.IFeatureCollection Features { get; } = new Microsoft.AspNetCore.Http.Features.FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; } = transport;

        public override CancellationToken ConnectionClosed
        {
            get => _closed.Token;
            set => throw new NotSupportedException();
        }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            Transport.Output.Complete(abortReason);
            _closed.Cancel();
        }

        public override ValueTask DisposeAsync()
        {
            Transport.Input.Complete();
            Transport.Output.Complete();
            return default;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static async Task<TcpClient> ConnectAsync(ProxyHarness proxy)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Server.HttpPort);
        return client;
    }

    /// <summary>One response, framed as a client would frame it (no body for HEAD, 1xx, 204, 304 when <paramref name="noBody"/>).</summary>
    private static async Task<(string Head, string Body)> ReadResponseAsync(NetworkStream stream, bool noBody = false)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var reader = new ByteReader(stream, deadline.Token);
        var head = await reader.ReadHeadAsync();
        if (noBody)
        {
            return (head, string.Empty);
        }

        if (HeaderValue(head, "Transfer-Encoding") is { } te && te.EndsWith("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new StringBuilder();
            while (true)
            {
                var line = await reader.ReadLineAsync();
                var size = int.Parse(line.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await reader.ReadLineAsync()).Length > 0)
                    {
                    }

                    return (head, body.ToString());
                }

                body.Append(await reader.ReadExactlyAsync(size));
                Assert.Equal(string.Empty, await reader.ReadLineAsync());
            }
        }

        var length = HeaderValue(head, "Content-Length") is { } cl ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
        return (head, await reader.ReadExactlyAsync(length));
    }

    private static string? HeaderValue(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>Reads until the server closes the connection (a reset counts); fails if it stays open past the patience.</summary>
    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
        }

        Assert.False(deadline.IsCancellationRequested, "the server kept the connection open");
        return Encoding.Latin1.GetString(received.ToArray());
    }

    /// <summary>Byte-at-a-time framing over a stream, so nothing past one response is consumed.</summary>
    private sealed class ByteReader(NetworkStream stream, CancellationToken token)
    {
        private readonly byte[] _one = new byte[1];

        public async Task<string> ReadHeadAsync()
        {
            var head = new StringBuilder();
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                head.Append((char)await ReadByteAsync());
            }

            return head.ToString();
        }

        public async Task<string> ReadLineAsync()
        {
            var line = new StringBuilder();
            while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
            {
                line.Append((char)await ReadByteAsync());
            }

            return line.ToString(0, line.Length - 2);
        }

        public async Task<string> ReadExactlyAsync(int count)
        {
            var bytes = new byte[count];
            await stream.ReadExactlyAsync(bytes, token);
            return Encoding.Latin1.GetString(bytes);
        }

        private async Task<byte> ReadByteAsync()
        {
            if (await stream.ReadAsync(_one, token) == 0)
            {
                throw new EndOfStreamException("the server closed the connection");
            }

            return _one[0];
        }
    }
}
