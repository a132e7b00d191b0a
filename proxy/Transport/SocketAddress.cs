using System.Buffers.Binary;
using System.Net;

namespace Gatehouse.Proxy.Transport;

/// <summary>Encodes and decodes <c>sockaddr_in</c> / <c>sockaddr_in6</c> (Linux layout).</summary>
internal static unsafe class NativeSocketAddress
{
    /// <summary>Large enough for either family.</summary>
    public const int MaxLength = 28;

    public static uint Write(IPEndPoint endPoint, byte* address)
    {
        new Span<byte>(address, MaxLength).Clear();
        var bytes = new Span<byte>(address, MaxLength);
        BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address[0] = Native.AF_INET;
            endPoint.Address.TryWriteBytes(bytes.Slice(4, 4), out _);
            return 16;
        }

        address[0] = Native.AF_INET6;
        endPoint.Address.TryWriteBytes(bytes.Slice(8, 16), out _);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[24..], (uint)endPoint.Address.ScopeId);
        return 28;
    }

    public static IPEndPoint? Read(byte* address, uint length)
    {
        var bytes = new ReadOnlySpan<byte>(address, (int)Math.Min(length, MaxLength));
        if (bytes.Length < 16)
        {
            return null;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        return address[0] switch
        {
            Native.AF_INET => new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), port),
            Native.AF_INET6 when bytes.Length >= 28 => new IPEndPoint(new IPAddress(bytes.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..])), port),
            _ => null,
        };
    }
}
