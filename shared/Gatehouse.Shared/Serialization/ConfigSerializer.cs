using System.Buffers;
using Gatehouse.Model;

namespace Gatehouse.Serialization;

/// <summary>Encodes <see cref="GatehouseConfig"/> as MessagePack and back.</summary>
public static class ConfigSerializer
{
    /// <summary>Writes the config. Equal configs produce equal bytes.</summary>
    public static void Serialize(GatehouseConfig config, IBufferWriter<byte> output)
        => throw new NotImplementedException();

    public static byte[] Serialize(GatehouseConfig config)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Serialize(config, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a config. Throws <see cref="Gatehouse.MessagePack.MessagePackFormatException"/> for malformed
    /// bytes and <see cref="ConfigSchemaException"/> for a schema major this build cannot read.
    /// </summary>
    public static GatehouseConfig Deserialize(ReadOnlySpan<byte> blob)
        => throw new NotImplementedException();
}
