using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Tests.Http1.Infrastructure;

/// <summary>
/// An HTTP/1.1 client that sends exactly the bytes a test gives it (malformed ones included) and reads
/// responses with its own strict parser (<see cref="Http1StreamReader"/>). Every wait has a deadline
/// (<see cref="Patience"/>) and fails the test with what was seen so far; nothing sleeps.
/// </summary>
internal sealed class RawHttp1Client : IAsyncDisposable
{
    /// <summary>How long any single wait for the proxy may take before the test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly Http1StreamReader _reader;

    private RawHttp1Client(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new Http1StreamReader(_stream);
    }

    /// <summary>The server closed the connection: a read returned 0 (or the connection was reset).</summary>
    public bool ServerClosed => _reader.EndOfStream || ClosedByReset;

    /// <summary>The connection ended with a reset rather than an orderly close (the server closed with unread bytes).</summary>
    public bool ClosedByReset { get; private set; }

    public static async Task<RawHttp1Client> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var deadline = new CancellationTokenSource(Patience);
        await tcp.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
        return new RawHttp1Client(tcp);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var deadline = new CancellationTokenSource(Patience);
        await _stream.WriteAsync(bytes, deadline.Token);
    }

    /// <summary>Like <see cref="SendAsync(ReadOnlyMemory{byte})"/>, but false instead of an exception when the server has already closed or reset.</summary>
    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await SendAsync(bytes);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public Task<bool> TrySendAsync(string text) => TrySendAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Closes the client's sending side (FIN), keeping the receiving side open.</summary>
    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Like <see cref="ShutdownSend"/>, ignoring a connection the server already reset.</summary>
    public void ShutdownSendIfPossible()
    {
        try
        {
            ShutdownSend();
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>
    /// Reads one response, interim (1xx) responses included as responses of their own.
    /// <paramref name="toHead"/>: the request was HEAD, so the response has no body whatever its fields say.
    /// </summary>
    public async Task<Http1Response> ReadResponseAsync(bool toHead = false)
    {
        using var deadline = new CancellationTokenSource(Patience);
        try
        {
            var head = await _reader.ReadHeadAsync(deadline.Token)
                ?? throw new Http1WireException("the server closed the connection instead of answering");
            var (version, status, reason) = ParseStatusLine(head.StartLine);
            var framing = Http1StreamReader.FramingOf(head);
            Http1Framing kind;
            long length = 0;
            if (toHead || status is < 200 or 204 or 304)
            {
                kind = Http1Framing.None;
            }
            else if (framing is { } f)
            {
                (kind, length) = f;
            }
            else
            {
                kind = Http1Framing.CloseDelimited;
            }

            var (body, trailers) = await _reader.ReadBodyAsync(kind, length, deadline.Token);
            return new Http1Response(head, version, status, reason, kind, body, trailers);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no complete response within {Patience.TotalSeconds} s");
        }
        catch (IOException ex) when (IsReset(ex))
        {
            ClosedByReset = true;
            throw new Http1WireException("the connection was reset while reading a response");
        }
    }

    /// <summary>Reads the next response and fails unless it is a final (non-1xx) one with the status given.</summary>
    public async Task<Http1Response> ExpectResponseAsync(int status, bool toHead = false)
    {
        var response = await ReadResponseAsync(toHead);
        Assert.True(response.Status == status, $"expected {status}, got:\r\n{response}");
        return response;
    }

    /// <summary>Raw bytes after the last response (a tunnel after 101): whatever arrives next, 0 when the server closed.</summary>
    public async Task<int> ReadSomeAsync(Memory<byte> destination)
    {
        using var deadline = new CancellationTokenSource(Patience);
        try
        {
            return await _reader.ReadSomeAsync(destination, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no bytes within {Patience.TotalSeconds} s");
        }
    }

    /// <summary>Exactly <paramref name="count"/> raw bytes (a tunnel after 101).</summary>
    public async Task<byte[]> ReadExactAsync(int count)
    {
        using var deadline = new CancellationTokenSource(Patience);
        return await _reader.ReadExactAsync(count, deadline.Token);
    }

    /// <summary>
    /// Waits until the server closes the connection (a read returns 0, or a reset), within
    /// <paramref name="patience"/> (default <see cref="Patience"/>). Any byte arriving first fails the test:
    /// after the last response the server owes nothing more.
    /// </summary>
    public async Task AssertServerClosesAsync(TimeSpan? patience = null)
    {
        if (ServerClosed)
        {
            Assert.Equal(0, _reader.Buffered);
            return;
        }

        if (_reader.Buffered > 0)
        {
            Assert.Fail("bytes after the last response: " + await DescribeExtraAsync());
        }

        var limit = patience ?? Patience;
        using var deadline = new CancellationTokenSource(limit);
        var probe = new byte[4096];
        try
        {
            var read = await _reader.ReadSomeAsync(probe, deadline.Token);
            Assert.True(read == 0, "expected the server to close, but it sent: " + Encoding.Latin1.GetString(probe, 0, read));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"the server did not close the connection within {limit.TotalSeconds} s");
        }
        catch (IOException ex) when (IsReset(ex))
        {
            ClosedByReset = true;
        }
    }

    private async Task<string> DescribeExtraAsync()
    {
        var extra = new byte[_reader.Buffered];
        await _reader.ReadSomeAsync(extra, CancellationToken.None);
        return Encoding.Latin1.GetString(extra);
    }

    private static bool IsReset(IOException ex)
        => ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown };

    private static (string Version, int Status, string Reason) ParseStatusLine(string line)
    {
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]
        if (line.Length < 12 || !(line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || line.StartsWith("HTTP/1.0 ", StringComparison.Ordinal))
            || line.AsSpan(9, 3).ContainsAnyExceptInRange('0', '9') || line[9] == '0' || (line.Length > 12 && line[12] != ' '))
        {
            throw new Http1WireException("not a status line: " + line);
        }

        return (line[..8], int.Parse(line.AsSpan(9, 3), CultureInfo.InvariantCulture), line.Length > 13 ? line[13..] : string.Empty);
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
