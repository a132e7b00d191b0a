using System.Buffers;
using System.Security.Cryptography;
using Gatehouse.Model;

namespace Gatehouse.Serialization;

/// <summary>
/// Identifies a config's content: lower-case hex SHA-256 of the blob it serializes to as
/// <see cref="SchemaVersion.Current"/> with generation 0 and without published_by and config_hash.
/// It changes when routing changes and not when only the generation or the publisher does. It is an
/// identifier for operators and metrics, not an integrity check (the channel's CRC is that), and a
/// build with a newer schema may compute a different hash for the same content.
/// </summary>
public static class ConfigHash
{
    public static string Compute(GatehouseConfig config) => FromCanonical(Canonical(config));

    /// <summary>
    /// The bytes the hash is taken over (current schema, generation 0, no published_by, no config_hash):
    /// also what "did the content change" compares, so a publish encodes the config once for both.
    /// </summary>
    public static byte[] Canonical(GatehouseConfig config)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Canonical(config, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <see cref="Canonical(GatehouseConfig)"/> into <paramref name="buffer"/>, which is reset first: a
    /// caller that encodes every pass reuses its buffers instead of allocating megabytes each time
    /// (large-object-heap arrays that only a full GC reclaims).
    /// </summary>
    public static void Canonical(GatehouseConfig config, ArrayBufferWriter<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.ResetWrittenCount();
        ConfigSerializer.Serialize(
            config with { Generation = 0, PublishedBy = null, ConfigHash = null },
            buffer,
            SchemaVersion.Current);
    }

    /// <summary>The hash of bytes produced by <see cref="Canonical"/>.</summary>
    public static string FromCanonical(ReadOnlySpan<byte> canonical) => Convert.ToHexStringLower(SHA256.HashData(canonical));
}
