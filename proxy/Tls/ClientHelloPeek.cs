using System.Buffers;
using System.IO.Pipelines;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Reads a new connection's ClientHello without consuming it, so the certificate and the host's
/// settings are chosen from it before SslStream, which then reads the same bytes, starts. The
/// ClientHello may span several handshake records (TLS allows it; clients that hide SNI from
/// middleboxes do it on purpose): it is reassembled, since SslStream's own SNI lookup, the fallback,
/// reads the first record only when the rest has not arrived yet and then serves the default certificate.
/// </summary>
internal static class ClientHelloPeek
{
    /// <summary>Records a ClientHello may be cut into before the peek gives up (each look walks them all).</summary>
    internal const int MaxRecords = 64;

    private const int MessageHeaderLength = 4;

    /// <summary>
    /// The parsed ClientHello, or null when the connection does not start with one the parser reads (not
    /// TLS, malformed, too large, the client gone); the handshake then fails or falls back on its own.
    /// </summary>
    public static async ValueTask<ClientHello?> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var extent = Measure(buffer, out var messageLength, out var records);
            if (extent > buffer.Length && !result.IsCompleted && !result.IsCanceled)
            {
                // Part of the ClientHello: look again when more has arrived.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            ClientHello? hello = null;
            if (extent > 0 && extent <= buffer.Length)
            {
                if (records == 1)
                {
                    ClientHelloParser.TryParse(buffer.Slice(0, extent), out hello);
                }
                else
                {
                    hello = Reassemble(buffer.Slice(0, extent), messageLength);
                }
            }

            // Nothing consumed and nothing held as examined: SslStream's first read gets all of it.
            input.AdvanceTo(buffer.Start);
            return hello;
        }
    }

    /// <summary>
    /// Bytes from the start up to the end of the record that completes the ClientHello message, and how
    /// many records that is. 0 when the bytes so far already say there is nothing to parse (not a
    /// handshake record, a record of another type in between, too large, too many records); more than
    /// <paramref name="buffer"/> holds while the message (or a record header) is incomplete.
    /// </summary>
    private static long Measure(ReadOnlySequence<byte> buffer, out int messageLength, out int records)
    {
        messageLength = -1;
        records = 0;
        Span<byte> header = stackalloc byte[ClientHelloParser.RecordHeaderLength];
        Span<byte> messageHeader = stackalloc byte[MessageHeaderLength];
        var messageHeaderBytes = 0;
        long bodyBytes = 0;
        long offset = 0;
        while (true)
        {
            var rest = buffer.Slice(offset);
            if (rest.IsEmpty)
            {
                return offset + ClientHelloParser.RecordHeaderLength + 1;
            }

            if (rest.FirstSpan[0] != TlsConstants.HandshakeRecord || ++records > MaxRecords)
            {
                return 0;
            }

            if (rest.Length < ClientHelloParser.RecordHeaderLength)
            {
                return offset + ClientHelloParser.RecordHeaderLength + 1;
            }

            rest.Slice(0, header.Length).CopyTo(header);
            var length = (header[3] << 8) | header[4];
            if (length == 0 || length > ClientHelloParser.MaxRecordLength)
            {
                return 0;
            }

            var body = rest.Slice(ClientHelloParser.RecordHeaderLength, Math.Min(length, rest.Length - ClientHelloParser.RecordHeaderLength));
            if (messageHeaderBytes < MessageHeaderLength)
            {
                // The message's type and length, however the records cut them.
                var take = (int)Math.Min(MessageHeaderLength - messageHeaderBytes, body.Length);
                body.Slice(0, take).CopyTo(messageHeader[messageHeaderBytes..]);
                messageHeaderBytes += take;
                if (messageHeaderBytes == MessageHeaderLength)
                {
                    if (messageHeader[0] != TlsConstants.ClientHelloMessage)
                    {
                        return 0;
                    }

                    messageLength = (messageHeader[1] << 16) | (messageHeader[2] << 8) | messageHeader[3];
                    if (messageLength > ClientHelloParser.MaxRecordLength - MessageHeaderLength)
                    {
                        return 0;
                    }
                }
            }

            offset += ClientHelloParser.RecordHeaderLength + length;
            bodyBytes += length;
            if (messageHeaderBytes == MessageHeaderLength && bodyBytes >= MessageHeaderLength + messageLength)
            {
                // Complete once the buffer holds this record to its end.
                return offset;
            }

            if (offset > buffer.Length)
            {
                // This record is still arriving and the message goes on after it.
                return offset + ClientHelloParser.RecordHeaderLength + 1;
            }
        }
    }

    /// <summary>The message's fragments as one record, which the parser reads as it reads an unfragmented one.</summary>
    private static ClientHello? Reassemble(ReadOnlySequence<byte> records, int messageLength)
    {
        var length = MessageHeaderLength + messageLength;
        var rented = ArrayPool<byte>.Shared.Rent(ClientHelloParser.RecordHeaderLength + length);
        try
        {
            var record = rented.AsSpan(0, ClientHelloParser.RecordHeaderLength + length);
            records.Slice(0, 3).CopyTo(record); // type and version of the first record
            record[3] = (byte)(length >> 8);
            record[4] = (byte)length;
            var written = ClientHelloParser.RecordHeaderLength;
            Span<byte> header = stackalloc byte[ClientHelloParser.RecordHeaderLength];
            while (written < record.Length)
            {
                records.Slice(0, header.Length).CopyTo(header);
                var bodyLength = (header[3] << 8) | header[4];
                var take = Math.Min(bodyLength, record.Length - written);
                records.Slice(ClientHelloParser.RecordHeaderLength, take).CopyTo(record[written..]);
                written += take;
                records = records.Slice(ClientHelloParser.RecordHeaderLength + bodyLength);
            }

            return ClientHelloParser.TryParse(record, out var hello) ? hello : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
