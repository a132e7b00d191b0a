using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// TLS clients whose ClientHello reaches the server the way a test wants it: captured as bytes, or
/// delivered in pieces by a test's own writes while SslStream believes it wrote it at once.
/// </summary>
internal static class ClientHelloClient
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static SslClientAuthenticationOptions Options(string serverName) => new()
    {
        TargetHost = serverName,
        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        ApplicationProtocols = [SslApplicationProtocol.Http11],
    };

    /// <summary>The bytes a .NET client sends first for <paramref name="serverName"/>: one record holding its ClientHello.</summary>
    public static async Task<byte[]> CaptureAsync(string serverName)
    {
        var capture = new FirstWriteStream(inner: null, static (_, _) => Task.CompletedTask);
        await using var ssl = new SslStream(capture);
        using var timeout = new CancellationTokenSource(Patience);
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(Options(serverName), timeout.Token));
        return capture.First ?? throw new InvalidOperationException("SslStream wrote nothing");
    }

    /// <summary>
    /// Connects and handshakes; SslStream's first write (the ClientHello) goes to <paramref name="sendHello"/>,
    /// which writes it to the socket stream as it likes. The rest of the connection is untouched.
    /// </summary>
    public static async Task<TlsConnection> ConnectAsync(int port, string serverName, Func<ReadOnlyMemory<byte>, Stream, Task> sendHello)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(new FirstWriteStream(tcp.GetStream(), sendHello), leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(Patience);
        await ssl.AuthenticateAsClientAsync(Options(serverName), timeout.Token);
        return new TlsConnection(tcp, ssl);
    }

    /// <summary>
    /// Passes reads and writes through to <c>inner</c>, except the first write, which goes to a
    /// delegate. Without an inner stream it only records the first write and then reads end of stream.
    /// </summary>
    private sealed class FirstWriteStream(Stream? inner, Func<ReadOnlyMemory<byte>, Stream, Task> first) : Stream
    {
        public byte[]? First { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (First is null)
            {
                First = buffer.ToArray();
                if (inner is not null)
                {
                    await first(First, inner);
                }

                return;
            }

            if (inner is not null)
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => inner is null ? ValueTask.FromResult(0) : inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

        public override void Flush() => inner?.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
