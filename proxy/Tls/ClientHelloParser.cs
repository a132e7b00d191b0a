using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Parses the first TLS record of a connection as a ClientHello (RFC 8446 §4.1.2). Only the fields
/// the certificate choice needs are kept. Anything malformed or cut short yields false: the caller
/// then falls back to the SNI name SslStream reports and a conservative certificate.
/// </summary>
internal static class ClientHelloParser
{
    public const int RecordHeaderLength = 5;
    public const int MaxRecordLength = 16384 + 2048;

    public static bool TryParse(ReadOnlySequence<byte> data, out ClientHello? hello)
    {
        hello = null;
        if (data.Length < RecordHeaderLength)
        {
            return false;
        }

        // The first record is at most ~18 KiB; copy it once so the parse works on a flat span.
        var length = (int)Math.Min(data.Length, RecordHeaderLength + MaxRecordLength);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            data.Slice(0, length).CopyTo(rented);
            return TryParse(rented.AsSpan(0, length), out hello);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> record, out ClientHello? hello)
    {
        hello = null;
        var reader = new SpanReader(record);
        if (!reader.TryByte(out var contentType) || contentType != TlsConstants.HandshakeRecord
            || !reader.TryUInt16(out _) || !reader.TryUInt16(out var recordLength)
            || !reader.TrySlice(Math.Min(recordLength, reader.Remaining), out var body))
        {
            return false;
        }

        var handshake = new SpanReader(body);
        if (!handshake.TryByte(out var messageType) || messageType != TlsConstants.ClientHelloMessage
            || !handshake.TryUInt24(out var messageLength)
            || messageLength > handshake.Remaining)
        {
            // A ClientHello fragmented over several records is legal but rare (huge PQ key shares,
            // clients hiding SNI): the own listener's peek reassembles it into one record first;
            // on Kestrel's listener the fallback path handles it.
            return false;
        }

        if (!handshake.TrySlice(messageLength, out var message))
        {
            return false;
        }

        var m = new SpanReader(message);
        if (!m.TryUInt16(out var legacyVersion)
            || !m.Skip(32)
            || !m.TryByte(out var sessionIdLength) || !m.Skip(sessionIdLength)
            || !m.TryUInt16(out var suitesLength) || !m.TrySlice(suitesLength, out var suitesBytes)
            || !m.TryByte(out var compressionLength) || !m.Skip(compressionLength))
        {
            return false;
        }

        var suites = ReadUInt16List(suitesBytes);
        string? serverName = null;
        var versions = ImmutableArray<ushort>.Empty;
        var signatures = ImmutableArray<ushort>.Empty;

        // Extensions are optional in a (pre-TLS 1.3) ClientHello.
        if (m.Remaining > 0)
        {
            if (!m.TryUInt16(out var extensionsLength) || !m.TrySlice(extensionsLength, out var extensions))
            {
                return false;
            }

            var e = new SpanReader(extensions);
            while (e.Remaining > 0)
            {
                if (!e.TryUInt16(out var type) || !e.TryUInt16(out var extLength) || !e.TrySlice(extLength, out var ext))
                {
                    return false;
                }

                var x = new SpanReader(ext);
                switch (type)
                {
                    case TlsConstants.ServerNameExtension:
                        if (!TryReadServerName(x, out serverName))
                        {
                            return false;
                        }

                        break;
                    case TlsConstants.SignatureAlgorithmsExtension:
                        if (!x.TryUInt16(out var sigLength) || !x.TrySlice(sigLength, out var sigBytes))
                        {
                            return false;
                        }

                        signatures = ReadUInt16List(sigBytes);
                        break;
                    case TlsConstants.SupportedVersionsExtension:
                        if (!x.TryByte(out var versionsLength) || !x.TrySlice(versionsLength, out var versionBytes))
                        {
                            return false;
                        }

                        versions = ReadUInt16List(versionBytes);
                        break;
                }
            }
        }

        hello = new ClientHello
        {
            ServerName = serverName,
            LegacyVersion = legacyVersion,
            SupportedVersions = versions,
            CipherSuites = suites,
            SignatureAlgorithms = signatures,
        };
        return true;
    }

    private static bool TryReadServerName(SpanReader x, out string? serverName)
    {
        serverName = null;
        if (!x.TryUInt16(out var listLength) || !x.TrySlice(listLength, out var list))
        {
            return false;
        }

        var names = new SpanReader(list);
        while (names.Remaining > 0)
        {
            if (!names.TryByte(out var nameType) || !names.TryUInt16(out var nameLength) || !names.TrySlice(nameLength, out var name))
            {
                return false;
            }

            if (nameType == 0 && serverName is null)
            {
                // host_name is ASCII (RFC 6066 §3); anything else cannot match a host and is ignored.
                if (Ascii.IsValid(name))
                {
                    serverName = Encoding.ASCII.GetString(name).TrimEnd('.').ToLowerInvariant();
                }
            }
        }

        return true;
    }

    private static ImmutableArray<ushort> ReadUInt16List(ReadOnlySpan<byte> bytes)
    {
        var builder = ImmutableArray.CreateBuilder<ushort>(bytes.Length / 2);
        for (var i = 0; i + 1 < bytes.Length; i += 2)
        {
            builder.Add(BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]));
        }

        return builder.MoveToImmutable();
    }

    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _span = span;

        public readonly int Remaining => _span.Length;

        public bool TryByte(out byte value)
        {
            if (_span.Length < 1)
            {
                value = 0;
                return false;
            }

            value = _span[0];
            _span = _span[1..];
            return true;
        }

        public bool TryUInt16(out ushort value)
        {
            if (_span.Length < 2)
            {
                value = 0;
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_span);
            _span = _span[2..];
            return true;
        }

        public bool TryUInt24(out int value)
        {
            if (_span.Length < 3)
            {
                value = 0;
                return false;
            }

            value = (_span[0] << 16) | (_span[1] << 8) | _span[2];
            _span = _span[3..];
            return true;
        }

        public bool Skip(int count) => TrySlice(count, out _);

        public bool TrySlice(int count, out ReadOnlySpan<byte> slice)
        {
            if (count < 0 || _span.Length < count)
            {
                slice = default;
                return false;
            }

            slice = _span[..count];
            _span = _span[count..];
            return true;
        }
    }
}
