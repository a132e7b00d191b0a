using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// One cleartext HTTP/1.1 connection to a backend: a socket with a pipe reader and writer over it.
/// It carries one request at a time and goes back to its pool only after a complete keep-alive response.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 8192, minimumReadSize: 2048, leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(minimumBufferSize: 4096, leaveOpen: true);

    private static readonly IOException Closed = new("connection closed by the proxy");

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private int _disposed;

    private Http1Connection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Reader = PipeReader.Create(_stream, ReaderOptions);
        Writer = PipeWriter.Create(_stream, WriterOptions);
    }

    public PipeReader Reader { get; }

    public PipeWriter Writer { get; }

    /// <summary>The previous response's header values, reused when the next one repeats them.</summary>
    public string?[] HeaderValues { get; } = ResponseHeaderCopier.NewValueCache();

    /// <summary>True once the connection has carried a request: a failure before any response byte may then be a stale keep-alive.</summary>
    public bool Reused { get; set; }

    /// <summary>When the connection went idle (Stopwatch ticks).</summary>
    public long IdleSince { get; set; }

    public static async ValueTask<Http1Connection> ConnectAsync(EndpointConfig endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.TryParse(endpoint.Address, out var address))
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(new DnsEndPoint(endpoint.Address, endpoint.Port), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new Http1Connection(socket);
    }

    /// <summary>
    /// False when an idle connection must not carry another request: readable while idle means the
    /// backend closed it or sent bytes nobody asked for (the tail of an over-long body, a smuggled response).
    /// </summary>
    public bool IsReusable()
    {
        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Completing with an error drops whatever was buffered: a request head whose body then failed
        // must never reach the backend.
        Writer.Complete(Closed);
        Reader.Complete(Closed);
        _stream.Dispose();
    }
}
