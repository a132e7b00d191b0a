using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Reads a new connection's first TLS record without consuming it, so the certificate and the host's
/// settings are chosen from the ClientHello before SslStream, which then reads the same bytes, starts.
/// </summary>
internal static class ClientHelloPeek
{
    /// <summary>
    /// The parsed ClientHello, or null when the first record is not one the parser reads (not TLS, a
    /// hello fragmented over records, the client gone); the handshake then fails or falls back on its own.
    /// </summary>
    public static async ValueTask<ClientHello?> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var needed = RecordLength(buffer);
            if (needed > 0 && buffer.Length < needed && !result.IsCompleted && !result.IsCanceled)
            {
                // Part of the record: look again when more has arrived.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            ClientHello? hello = null;
            if (needed > 0 && buffer.Length >= needed)
            {
                ClientHelloParser.TryParse(buffer.Slice(0, needed), out hello);
            }

            // Nothing consumed and nothing held as examined: SslStream's first read gets all of it.
            input.AdvanceTo(buffer.Start);
            return hello;
        }
    }

    /// <summary>
    /// Bytes up to the end of the first record (capped at the largest record); 0 when the bytes so far
    /// already say it is not a handshake record; 6 while its header is incomplete.
    /// </summary>
    private static int RecordLength(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return ClientHelloParser.RecordHeaderLength + 1;
        }

        if (buffer.FirstSpan[0] != TlsConstants.HandshakeRecord)
        {
            return 0;
        }

        if (buffer.Length < ClientHelloParser.RecordHeaderLength)
        {
            return ClientHelloParser.RecordHeaderLength + 1;
        }

        Span<byte> header = stackalloc byte[ClientHelloParser.RecordHeaderLength];
        buffer.Slice(0, header.Length).CopyTo(header);
        var length = (header[3] << 8) | header[4];
        return ClientHelloParser.RecordHeaderLength + Math.Min(length, ClientHelloParser.MaxRecordLength);
    }
}
