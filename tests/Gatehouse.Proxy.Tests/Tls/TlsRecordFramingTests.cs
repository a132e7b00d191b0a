using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Tests.Tls;

/// <summary>
/// The proxy's HTTPS listener waits for ciphertext on the socket, not inside SslStream, and counts on
/// SslStream never holding a whole undecrypted record when a read returns short. These are the
/// arrivals that would break that: several records in one TCP segment, and records far larger than
/// one read.
/// </summary>
public sealed class TlsRecordFramingTests
{
    private static GatehouseConfig Config(TestBackend backend)
        => Configs.Of([Configs.Host("", Configs.Prefix("/", "b"))], [Configs.Backend("b", backend.Endpoint)]);

    [Fact]
    public async Task RequestsInSeparateRecordsOfOneSegmentAreAllAnswered()
    {
        await using var backend = await TestBackend.StartAsync(context => context.Response.WriteAsync("answer " + context.Request.Path));
        await using var proxy = await TlsProxy.StartAsync(Config(backend));

        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, proxy.HttpsPort);
        var held = new HeldWriteStream(tcp.GetStream());
        await using var tls = new SslStream(held, leaveInnerStreamOpen: true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "records.example.com",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        });

        // Three requests, each written on its own so each is its own TLS record, leave in one send.
        held.Hold = true;
        for (var i = 1; i <= 3; i++)
        {
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /r{i} HTTP/1.1\r\nHost: records.example.com\r\n\r\n"));
        }

        await held.ReleaseAsync();

        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!received.ToString().Contains("answer /r3", StringComparison.Ordinal))
        {
            var read = await tls.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the connection closed before the third answer: " + received);
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var text = received.ToString();
        Assert.Contains("answer /r1", text, StringComparison.Ordinal);
        Assert.Contains("answer /r2", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUploadOfManyFullRecordsArrivesWhole()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            long total = 0;
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    total += buffer[i];
                }
            }

            await context.Response.WriteAsync("sum " + total);
        });
        await using var proxy = await TlsProxy.StartAsync(Config(backend));
        using var client = TlsProxy.HttpsClient(proxy);

        // 3 MB in 16 KiB records, more than the decrypted-side pipe holds before it stops reading.
        var body = new byte[3_000_000];
        new Random(7).NextBytes(body);
        long expected = 0;
        foreach (var b in body)
        {
            expected += b;
        }

        using var response = await client.PostAsync("/upload", new ByteArrayContent(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sum " + expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AReadOfTheRecordStreamEndsAtTheEndOfARecord()
    {
        // The invariant the decrypting loop relies on, whatever the records are (an alert or a
        // KeyUpdate between two application records would otherwise stop SslStream's own loop with a
        // whole record still in its buffer): one read never hands over bytes of the next record.
        var transport = new System.IO.Pipelines.Pipe();
        var stream = new Gatehouse.Proxy.Tls.TlsRecordStream(new DuplexPipe(transport.Reader, new System.IO.Pipelines.Pipe().Writer));
        byte[] Record(byte type, int length) => [type, 3, 3, (byte)(length >> 8), (byte)length, .. new byte[length]];
        await transport.Writer.WriteAsync((byte[])[.. Record(23, 40), .. Record(22, 0), .. Record(21, 2), .. Record(23, 300)]);

        var buffer = new byte[16 * 1024];
        Assert.Equal(45, await stream.ReadAsync(buffer));
        Assert.Equal(5, await stream.ReadAsync(buffer));
        Assert.Equal(7, await stream.ReadAsync(buffer));

        // A record larger than the buffer takes several reads, then the next one starts cleanly.
        Assert.Equal(100, await stream.ReadAsync(buffer.AsMemory(0, 100)));
        Assert.Equal(205, await stream.ReadAsync(buffer));
        await transport.Writer.WriteAsync((byte[])[.. Record(23, 1)]);
        Assert.Equal(6, await stream.ReadAsync(buffer));
    }

    [Fact]
    public async Task AWholeNextRecordIsReportedOnlyAtARecordBoundaryAndOnlyWhenComplete()
    {
        // The decrypting loop reads on without flushing only when SslStream's next read cannot wait:
        // several records that arrived together are handed to the server in one flush.
        var transport = new System.IO.Pipelines.Pipe();
        var stream = new Gatehouse.Proxy.Tls.TlsRecordStream(new DuplexPipe(transport.Reader, new System.IO.Pipelines.Pipe().Writer));
        byte[] Record(int length) => [23, 3, 3, (byte)(length >> 8), (byte)length, .. new byte[length]];
        await transport.Writer.WriteAsync((byte[])[.. Record(10), .. Record(20), .. Record(30).AsSpan(0, 12)]);

        var buffer = new byte[1024];
        Assert.Equal(4, await stream.ReadAsync(buffer.AsMemory(0, 4)));
        Assert.False(stream.HasWholeRecordBuffered()); // in the middle of the first record
        Assert.Equal(11, await stream.ReadAsync(buffer));
        Assert.True(stream.HasWholeRecordBuffered());
        Assert.Equal(25, await stream.ReadAsync(buffer));
        Assert.False(stream.HasWholeRecordBuffered()); // 12 of 35 bytes of the third
        Assert.Equal(12, await stream.ReadAsync(buffer));
    }

    private sealed class DuplexPipe(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output) : System.IO.Pipelines.IDuplexPipe
    {
        public System.IO.Pipelines.PipeReader Input { get; } = input;

        public System.IO.Pipelines.PipeWriter Output { get; } = output;
    }

    /// <summary>Passes writes through until <see cref="Hold"/>, then keeps them for one socket write.</summary>
    private sealed class HeldWriteStream(NetworkStream inner) : Stream
    {
        private readonly MemoryStream _held = new();

        public bool Hold { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public async Task ReleaseAsync()
        {
            Hold = false;
            await inner.WriteAsync(_held.GetBuffer().AsMemory(0, (int)_held.Length));
            _held.SetLength(0);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Hold)
            {
                _held.Write(buffer.Span);
                return ValueTask.CompletedTask;
            }

            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
