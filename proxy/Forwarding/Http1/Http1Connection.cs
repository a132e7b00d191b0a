using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;
using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// One cleartext HTTP/1.1 connection to a backend: a socket with a pipe reader and writer over it.
/// It carries one request at a time and goes back to its pool only after a complete keep-alive response.
/// With the epoll transport the socket lives on the caller's event loop instead, so both legs of a
/// request run on one thread and the response is read only when the kernel reports it.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 8192, minimumReadSize: 2048, leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(minimumBufferSize: 4096, leaveOpen: true);

    private static readonly IOException Closed = new("connection closed by the proxy");

    private readonly Socket? _socket;
    private readonly NetworkStream? _stream;
    private readonly EpollSocket? _loopSocket;
    private int _disposed;
    private ChunkedBodyDecoder? _chunkedDecoder;

    private Http1Connection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Reader = PipeReader.Create(_stream, ReaderOptions);
        Writer = PipeWriter.Create(_stream, WriterOptions);
    }

    private Http1Connection(EpollSocket socket)
    {
        _loopSocket = socket;
        Reader = socket.Input;
        Writer = socket.Output;
    }

    public PipeReader Reader { get; }

    /// <summary>The event loop the socket lives on; 0 for a socket of the runtime's.</summary>
    public int LoopIndex => _loopSocket?.Loop.Index ?? 0;

    public PipeWriter Writer { get; }

    /// <summary>The previous response's header strings, reused when the next one repeats them.</summary>
    public ResponseHeaderStrings HeaderStrings { get; } = new();

    /// <summary>Decodes this connection's chunked responses, one at a time; made for the first.</summary>
    public ChunkedBodyDecoder ChunkedDecoder => _chunkedDecoder ??= new ChunkedBodyDecoder();

    /// <summary>True once the connection has carried a request: a failure before any response byte may then be a stale keep-alive.</summary>
    public bool Reused { get; set; }

    /// <summary>When the connection went idle (Stopwatch ticks).</summary>
    public long IdleSince { get; set; }

    /// <summary>Opens a connection, on <paramref name="loop"/> when there is one (the epoll transport), else a socket of the runtime's.</summary>
    public static async ValueTask<Http1Connection> ConnectAsync(EndpointConfig endpoint, EpollLoop? loop, CancellationToken cancellationToken)
    {
        if (loop is not null)
        {
            var target = IPAddress.TryParse(endpoint.Address, out var ip)
                ? ip
                : (await Dns.GetHostAddressesAsync(endpoint.Address, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
                  ?? throw new SocketException((int)SocketError.HostNotFound);
            var loopSocket = await EpollSocket.ConnectAsync(loop, new IPEndPoint(target, endpoint.Port), cancellationToken).ConfigureAwait(false);
            return new Http1Connection(loopSocket);
        }

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
            if (_loopSocket is not null)
            {
                // The loop reads whatever arrives, idle or not: a close or stray bytes are already in
                // the pipe, so no system call is needed to find them.
                if (!Reader.TryRead(out var pending))
                {
                    return true;
                }

                Reader.AdvanceTo(pending.Buffer.Start);
                return false;
            }

            return !_socket!.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
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

        // The loop socket closes itself once its send side sees the completed writer.
        _stream?.Dispose();
    }
}
