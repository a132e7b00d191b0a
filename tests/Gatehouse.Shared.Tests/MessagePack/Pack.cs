using System.Buffers;
using Gatehouse.MessagePack;

namespace Gatehouse.Tests.MessagePack;

internal delegate void WriteAction(ref MessagePackWriter writer);

internal delegate void ReadAction(ref MessagePackReader reader);

/// <summary>Small helpers so tests can build and inspect encodings in one line.</summary>
internal static class Pack
{
    public static byte[] Bytes(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    public static string Hex(WriteAction write) => Convert.ToHexStringLower(Bytes(write));

    public static byte[] FromHex(string hex) => Convert.FromHexString(hex);

    public static MessagePackFormatException Malformed(byte[] input, ReadAction read, int maxDepth = MessagePackReader.DefaultMaxDepth)
        => Assert.Throws<MessagePackFormatException>(() =>
        {
            var reader = new MessagePackReader(input, maxDepth);
            read(ref reader);
        });
}
