using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// A client connection on the proxy's own HTTPS listener: the accepted connection with TLS in between.
/// Until <see cref="AuthenticateAsync"/> completes it has no transport; afterwards its pipes carry the
/// decrypted bytes, and the HTTP/1.1 or HTTP/2 server reads it as it reads a cleartext connection.
/// Carries the TLS features Kestrel's HTTPS listener set (handshake, client certificate, ALPN) and
/// the proxy's <see cref="TlsConnectionState"/>; everything else comes from the accepted connection.
/// </summary>
internal sealed class TlsServerConnection : ConnectionContext,
    ITlsHandshakeFeature, ITlsConnectionFeature, Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature, IConnectionLifetimeNotificationFeature
{
    private readonly ConnectionContext _inner;
    private readonly FeatureCollection _features;
    private readonly TlsRecordStream _records;
    private readonly SslStream _ssl;
    private readonly CancellationTokenSource _closeRequested = new();
    private readonly PipeReader _ciphertext;
    private Pipe? _plaintext;
    private Task? _decrypting;
    private PipeWriter? _writer;
    private X509Certificate2? _clientCertificate;
    private int _disposed;

    public TlsServerConnection(ConnectionContext inner)
    {
        _inner = inner;
        _ciphertext = inner.Transport.Input;
        _records = new TlsRecordStream(inner.Transport);
        _ssl = new SslStream(_records, leaveInnerStreamOpen: true);
        _features = new FeatureCollection(inner.Features);
        _features.Set<ITlsHandshakeFeature>(this);
        _features.Set<ITlsConnectionFeature>(this);
        _features.Set<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>(this);
        _features.Set<IConnectionLifetimeNotificationFeature>(this);
        Transport = inner.Transport;
        ConnectionClosedRequested = _closeRequested.Token;
    }

    public override string ConnectionId
    {
        get => _inner.ConnectionId;
        set => _inner.ConnectionId = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _inner.Items;
        set => _inner.Items = value;
    }

    /// <summary>The decrypted bytes, after the handshake.</summary>
    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _inner.ConnectionClosed;
        set => _inner.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => _inner.LocalEndPoint;
        set => _inner.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _inner.RemoteEndPoint;
        set => _inner.RemoteEndPoint = value;
    }

    /// <summary>True when ALPN chose h2.</summary>
    public bool IsHttp2 => _ssl.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2;

    public TlsConnectionState? State { get; private set; }

    /// <summary>
    /// The server's side of the handshake, on the bytes the ClientHello peek left in the transport.
    /// Throws when the handshake fails or <paramref name="cancellationToken"/> (the handshake timeout) fires.
    /// </summary>
    public async Task AuthenticateAsync(SslServerAuthenticationOptions options, TlsConnectionState? state, CancellationToken cancellationToken)
    {
        State = state;
        if (state is not null)
        {
            _features.Set(state);
        }

        await _ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);

        // The handshake's last flight is out; from here on every response ends with a flush, and the
        // records written before it share one send.
        _records.CoalesceWrites = true;
        var pool = PinnedBlockPool.Instance;
        _plaintext = new Pipe(new PipeOptions(
            pool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 64 * 1024,
            resumeWriterThreshold: 32 * 1024,
            minimumSegmentSize: PinnedBlockPool.BlockSize,
            useSynchronizationContext: false));
        _writer = PipeWriter.Create(_ssl, new StreamPipeWriterOptions(pool, minimumBufferSize: PinnedBlockPool.BlockSize, leaveOpen: true));
        var transport = new TlsPlaintextPipe(_plaintext.Reader, _writer);
        Transport = transport;
        _decrypting = DecryptAsync(_plaintext.Writer, transport);
    }

    /// <summary>
    /// Moves decrypted bytes into the pipe the HTTP server reads, for the life of the connection. It
    /// waits for ciphertext on the transport itself and calls SslStream only once some has arrived, so
    /// SslStream's read normally completes at once: a read left waiting inside SslStream (or a
    /// StreamPipeReader over it) holds state machines that, with many connections waiting, are
    /// allocated anew for every request. Waiting here costs one state machine per connection.
    /// </summary>
    private async Task DecryptAsync(PipeWriter plaintext, TlsPlaintextPipe counts)
    {
        Exception? failure = null;
        try
        {
            // The handshake may have read the client's first records already (a TLS 1.3 client sends its
            // request right behind Finished): they are inside SslStream, so the first read goes there.
            var waitForCiphertext = false;
            while (true)
            {
                if (waitForCiphertext)
                {
                    var waited = await _ciphertext.ReadAsync().ConfigureAwait(false);
                    if (waited.IsCanceled)
                    {
                        return; // the connection is being disposed
                    }

                    // Examined nothing: SslStream's own read of these bytes completes at once.
                    var arrived = !waited.Buffer.IsEmpty;
                    _ciphertext.AdvanceTo(waited.Buffer.Start);
                    if (!arrived && waited.IsCompleted)
                    {
                        return; // the client closed its side
                    }
                }

                waitForCiphertext = true;

                int read;
                Memory<byte> memory;
                do
                {
                    memory = plaintext.GetMemory();
                    read = await _ssl.ReadAsync(memory).ConfigureAwait(false);
                    if (read == 0)
                    {
                        await plaintext.FlushAsync().ConfigureAwait(false);
                        return; // close_notify or the end of the stream
                    }

                    plaintext.Advance(read);
                    counts.Decrypted(read);
                }
                while (read == memory.Length // a full buffer: SslStream may hold more already decrypted
                    || _records.HasWholeRecordBuffered()); // several records arrived together: one flush for all

                // The server reading the connection runs here, on this thread, before the flush returns.
                var flush = await plaintext.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return; // the server stopped reading the connection
                }

                // Fewer bytes than asked for: SslStream holds no whole record now (it decrypts every whole
                // record it has while there is room), so the next bytes must come from the socket.
            }
        }
        catch (Exception ex)
        {
            // A bad record, a reset, an abort: the server reading the connection sees an I/O error.
            failure = ex as IOException ?? new IOException("Reading from the TLS connection failed: " + ex.Message, ex);
        }
        finally
        {
            await plaintext.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The pipes' buffers go back to the pool; no close_notify is sent (nor by Kestrel): the
        // protocol above already said where the data ends.
        if (_plaintext is not null)
        {
            await _plaintext.Reader.CompleteAsync().ConfigureAwait(false);

            // Wakes the decrypting loop wherever it waits for ciphertext (itself or inside SslStream),
            // so SslStream is not disposed under it.
            _ciphertext.CancelPendingRead();
            try
            {
                await _decrypting!.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Its failure, if any, went to the reader.
            }
        }

        if (_writer is not null)
        {
            try
            {
                await _writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or ConnectionAbortedException)
            {
                // A last flush to a client already gone.
            }
        }

        await _ssl.DisposeAsync().ConfigureAwait(false);
        _clientCertificate?.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
        _closeRequested.Dispose();
    }

    // ---------------------------------------------------------------- IConnectionLifetimeNotificationFeature

    public CancellationToken ConnectionClosedRequested { get; set; }

    /// <summary>The server is stopping: HTTP/2 sends GOAWAY and finishes its open streams.</summary>
    public void RequestClose()
    {
        try
        {
            _closeRequested.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // ---------------------------------------------------------------- ITlsHandshakeFeature

    public SslProtocols Protocol => _ssl.SslProtocol;

    public TlsCipherSuite? NegotiatedCipherSuite => _ssl.NegotiatedCipherSuite;

    public string HostName => _ssl.TargetHostName;

#pragma warning disable SYSLIB0058 // Kestrel's interface still carries the pre-TLS 1.3 cipher properties.
    public CipherAlgorithmType CipherAlgorithm => _ssl.CipherAlgorithm;

    public int CipherStrength => _ssl.CipherStrength;

    public HashAlgorithmType HashAlgorithm => _ssl.HashAlgorithm;

    public int HashStrength => _ssl.HashStrength;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => _ssl.KeyExchangeAlgorithm;

    public int KeyExchangeStrength => _ssl.KeyExchangeStrength;
#pragma warning restore SYSLIB0058

    // ---------------------------------------------------------------- ITlsApplicationProtocolFeature

    public ReadOnlyMemory<byte> ApplicationProtocol => _ssl.NegotiatedApplicationProtocol.Protocol;

    // ---------------------------------------------------------------- ITlsConnectionFeature

    public X509Certificate2? ClientCertificate
    {
        get => _clientCertificate ??= _ssl.RemoteCertificate is { } presented ? X509CertificateLoader.LoadCertificate(presented.GetRawCertData()) : null;
        set => _clientCertificate = value;
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);
}
