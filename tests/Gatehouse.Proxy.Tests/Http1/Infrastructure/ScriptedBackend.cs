using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Model;

namespace Gatehouse.Tests.Http1.Infrastructure;

/// <summary>
/// A raw TCP backend: every accepted connection is handed to a script, which reads requests with the
/// strict <see cref="Http1StreamReader"/> and writes whatever bytes it likes. Each connection keeps a
/// record of the request heads and complete requests it received, so a test can tell which requests
/// shared a connection and whether one ended halfway through a body.
/// </summary>
internal sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<BackendConnection, CancellationToken, Task> _script;
    private readonly ConcurrentQueue<BackendConnection> _connections = new();
    private readonly ConcurrentQueue<Task> _serving = new();
    private readonly Task _loop;

    private ScriptedBackend(TcpListener listener, Func<BackendConnection, CancellationToken, Task> script)
    {
        _listener = listener;
        _script = script;
        _loop = AcceptLoopAsync();
    }

    public EndpointConfig Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

    /// <summary>Connections accepted so far, in order.</summary>
    public IReadOnlyList<BackendConnection> Connections => [.. _connections];

    /// <summary>Every request head received, across connections.</summary>
    public IReadOnlyList<Http1Head> Heads => [.. _connections.SelectMany(c => c.Heads)];

    /// <summary>Every complete request received, across connections.</summary>
    public IReadOnlyList<Http1Request> Requests => [.. _connections.SelectMany(c => c.Requests)];

    public static ScriptedBackend Start(Func<BackendConnection, CancellationToken, Task> script)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new ScriptedBackend(listener, script);
    }

    /// <summary>A keep-alive backend answering each complete request with the bytes <paramref name="respond"/> returns.</summary>
    public static ScriptedBackend Answering(Func<Http1Request, string> respond)
        => Answering(request => Encoding.UTF8.GetBytes(respond(request)));

    public static ScriptedBackend Answering(Func<Http1Request, byte[]> respond)
        => Start(async (connection, cancellationToken) =>
        {
            while (await connection.ReadRequestAsync(cancellationToken) is { } request)
            {
                await connection.WriteAsync(respond(request), cancellationToken);
            }
        });

    /// <summary>A response with a Content-Length and the fields given (each "Name: value").</summary>
    public static string Response(string body, params string[] fields)
        => "HTTP/1.1 200 OK\r\n" + string.Concat(fields.Select(f => f + "\r\n"))
            + $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n" + body;

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var connection = new BackendConnection(client, _connections.Count);
                _connections.Enqueue(connection);
                _serving.Enqueue(connection.ServeAsync(_script, _stop.Token));
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested
            && ex is OperationCanceledException or InvalidOperationException or SocketException or ObjectDisposedException)
        {
            // Disposal stops the listener; an accept already on its way back fails instead of cancelling.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        await Task.WhenAll(_serving);
        _stop.Dispose();
    }
}

/// <summary>One connection of a <see cref="ScriptedBackend"/>.</summary>
internal sealed class BackendConnection
{
    private readonly TcpClient _client;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<Http1Head> _heads = new();
    private readonly ConcurrentQueue<Http1Request> _requests = new();

    public BackendConnection(TcpClient client, int index)
    {
        _client = client;
        Index = index;
        Stream = client.GetStream();
        Reader = new Http1StreamReader(Stream);
    }

    /// <summary>0 for the first connection the backend accepted.</summary>
    public int Index { get; }

    public NetworkStream Stream { get; }

    public Http1StreamReader Reader { get; }

    /// <summary>Request heads in arrival order, including one whose body never arrived whole.</summary>
    public IReadOnlyList<Http1Head> Heads => [.. _heads];

    /// <summary>Requests received whole (head and body), in arrival order.</summary>
    public IReadOnlyList<Http1Request> Requests => [.. _requests];

    /// <summary>Why the script stopped, when it was not a clean end of the connection (a body cut short, a reset).</summary>
    public Exception? Error { get; private set; }

    /// <summary>Completes when the script has finished and the connection is closed.</summary>
    public Task Ended => _ended.Task;

    internal async Task ServeAsync(Func<BackendConnection, CancellationToken, Task> script, CancellationToken cancellationToken)
    {
        try
        {
            await script(this, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or Http1WireException or OperationCanceledException or ObjectDisposedException)
        {
            Error = ex;
        }
        finally
        {
            _client.Dispose();
            _ended.TrySetResult();
        }
    }

    /// <summary>The next request, body included (Content-Length or chunked); null when the proxy closed the connection between requests.</summary>
    public async Task<Http1Request?> ReadRequestAsync(CancellationToken cancellationToken)
    {
        var head = await ReadRequestHeadAsync(cancellationToken);
        if (head is null)
        {
            return null;
        }

        var (framing, length) = Http1StreamReader.FramingOf(head) ?? (Http1Framing.None, 0);
        var (body, trailers) = await Reader.ReadBodyAsync(framing, length, cancellationToken);
        var parts = head.StartLine.Split(' ');
        var request = new Http1Request(head, parts[0], parts[1], parts[2], framing, body, trailers);
        _requests.Enqueue(request);
        return request;
    }

    /// <summary>The next request head only (the script reads the body itself, or not at all); null at a clean end.</summary>
    public async Task<Http1Head?> ReadRequestHeadAsync(CancellationToken cancellationToken)
    {
        var head = await Reader.ReadHeadAsync(cancellationToken);
        if (head is null)
        {
            return null;
        }

        var parts = head.StartLine.Split(' ');
        if (parts.Length != 3 || parts[2] != "HTTP/1.1")
        {
            throw new Http1WireException("not an HTTP/1.1 request line: " + head.StartLine);
        }

        _heads.Enqueue(head);
        return head;
    }

    public Task WriteAsync(string text, CancellationToken cancellationToken) => WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

    public async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await Stream.WriteAsync(bytes, cancellationToken);
        await Stream.FlushAsync(cancellationToken);
    }
}
