using System.IO.Pipelines;
using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Counts the bytes a client connection reads and writes by wrapping its transport, so request and
/// response sizes are what crossed the wire (request line, headers, body, chunk framing), like
/// nginx's $request_length and $bytes_sent, whether or not a Content-Length was sent. Allocated once
/// per connection. An HTTP/1.x connection carries one request at a time, so the bytes since the
/// previous request ended belong to the current one.
/// </summary>
/// <remarks>
/// The proxy's own transport counts by itself (<see cref="ITransportByteCounts"/>): then nothing is
/// wrapped, and every read and write goes straight to the socket's pipes.
/// </remarks>
internal sealed class ConnectionByteCounter : IDuplexPipe
{
    private readonly ITransportByteCounts? _transport;
    private long _read;
    private long _written;
    private long _readMark;
    private long _writtenMark;

    public ConnectionByteCounter(IDuplexPipe transport)
    {
        if (transport is ITransportByteCounts counts)
        {
            _transport = counts;
            Input = transport.Input;
            Output = transport.Output;
            return;
        }

        Input = new CountingPipeReader(transport.Input, this);
        Output = new CountingPipeWriter(transport.Output, this);
    }

    /// <summary>False when the transport counts by itself and should be left in place.</summary>
    public bool WrapsTransport => _transport is null;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    // Only the connection's I/O loop writes the totals; the request thread reads them.
    internal void Read(long bytes) => Volatile.Write(ref _read, _read + bytes);

    internal void Wrote(long bytes) => Volatile.Write(ref _written, _written + bytes);

    /// <summary>
    /// Bytes in and out since the previous call on this connection: the request that just completed.
    /// The last few bytes of a chunked response (its terminating chunk, written after the handler
    /// returns) are counted with the next request.
    /// </summary>
    public (long In, long Out) TakeRequestBytes()
    {
        var read = _transport?.BytesRead ?? Volatile.Read(ref _read);
        var written = _transport?.BytesWritten ?? Volatile.Read(ref _written);
        var result = (read - _readMark, written - _writtenMark);
        _readMark = read;
        _writtenMark = written;
        return result;
    }
}
