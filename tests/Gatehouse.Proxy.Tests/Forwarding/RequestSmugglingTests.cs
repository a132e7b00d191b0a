using System.Net.Sockets;
using System.Text;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Forwarding;

/// <summary>
/// Client → proxy leg: requests a lenient parser could frame differently from a strict one must be
/// refused by the proxy, and the backend must never see a byte of them.
/// </summary>
public abstract class RequestSmugglingTests : UpstreamClientTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    public static TheoryData<string, string> MalformedRequests => new()
    {
        { "two different Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" },
        { "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n" },
        { "bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n" },
        { "whitespace before the colon", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" },
        { "chunked not the final coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" },
        { "unknown transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" },
        { "garbage Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello" },
        { "negative chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" },
        { "oversized header section", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('a', 100 * 1024) + "\r\n\r\n" },
        { "two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task MalformedRequestIsRefusedAndNeverReachesTheBackend(string description, string request)
    {
        await using var backend = await RawBackend.StartAsync(Ok);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        var status = await SendRawAsync(proxy.Server.HttpPort, request);

        Assert.True(status is 400 or 431, $"{description}: the proxy answered {status}");
        Assert.Empty(backend.Received);

        // The same proxy and backend do carry a well-formed request, so the empty count above means something.
        Assert.Equal(200, await SendRawAsync(proxy.Server.HttpPort, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        Assert.Single(backend.Received);
    }

    [Fact]
    public async Task ConflictingFramingIsReadOneWayAndTheConnectionClosed()
    {
        // Kestrel (RFC 9112 §6.3) lets Transfer-Encoding win over Content-Length and closes the
        // connection afterwards; the backend must see one request, framed one way, and never the
        // request hidden in the body Content-Length would have claimed.
        await using var backend = await RawBackend.StartAsync(Ok);
        await using var proxy = await StartProxyAsync(CatchAll(Backend("b", backend.Endpoint)));

        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, proxy.Server.HttpPort);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"));
        var answer = await ReadToEndAsync(stream);

        var statusLines = answer.Split("HTTP/1.1 ").Length - 1;
        Assert.True(statusLines == 1, "one answer expected, got: " + answer);
        var received = Assert.Single(backend.Received);
        Assert.DoesNotContain("/smuggled", received, StringComparison.Ordinal);

        // Kestrel keeps the losing header only as X-Content-Length, which frames nothing.
        Assert.DoesNotContain("\r\nContent-Length:", received, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        var buffer = new byte[16 * 1024];
        var seen = new StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
        }

        return seen.ToString();
    }

    /// <summary>Sends raw bytes on a new connection and returns the status code of the first response (0: none).</summary>
    internal static async Task<int> SendRawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (IOException)
        {
            // Kestrel may answer and close before reading an oversized request to its end.
        }

        var buffer = new byte[16 * 1024];
        var seen = new StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (!seen.ToString().Contains("\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, deadline.Token);
                if (read == 0)
                {
                    break;
                }

                seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
        }

        var text = seen.ToString();
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}

public sealed class RequestSmugglingTestsOverSockets : RequestSmugglingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Sockets;
}

public sealed class RequestSmugglingTestsOverLean : RequestSmugglingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Lean;
}

public sealed class RequestSmugglingTestsOverEpollLean : RequestSmugglingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Lean;

    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}

public sealed class RequestSmugglingTestsOverEpollSockets : RequestSmugglingTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Sockets;

    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}
