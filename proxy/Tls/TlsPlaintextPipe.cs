using System.IO.Pipelines;
using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// The decrypted side of a TLS connection as the HTTP server sees it, counting its own bytes for the
/// per-request sizes (so nothing has to wrap it): reads as the decrypting loop delivers them, writes
/// as the server commits them, before encryption. The writer is this object.
/// </summary>
internal sealed class TlsPlaintextPipe : PipeWriter, IDuplexPipe, ITransportByteCounts
{
    private readonly PipeWriter _output;
    private long _read;
    private long _written;

    public TlsPlaintextPipe(PipeReader input, PipeWriter output)
    {
        Input = input;
        _output = output;
    }

    public PipeReader Input { get; }

    public PipeWriter Output => this;

    public long BytesRead => Volatile.Read(ref _read);

    public long BytesWritten => Volatile.Read(ref _written);

    public override bool CanGetUnflushedBytes => _output.CanGetUnflushedBytes;

    public override long UnflushedBytes => _output.UnflushedBytes;

    /// <summary>Bytes the decrypting loop put into the reader's pipe; that loop is the only caller.</summary>
    internal void Decrypted(int bytes) => Volatile.Write(ref _read, _read + bytes);

    public override void Advance(int bytes)
    {
        // One response is written by one thread at a time (HTTP/1.1); the request thread reads the total.
        Volatile.Write(ref _written, _written + bytes);
        _output.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _output.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _output.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _output.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => _output.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _output.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _output.CompleteAsync(exception);
}
