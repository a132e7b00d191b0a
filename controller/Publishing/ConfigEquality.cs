using System.Buffers;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Controller.Publishing;

/// <summary>
/// Content equality of configs, ignoring <see cref="GatehouseConfig.Generation"/>,
/// <see cref="GatehouseConfig.PublishedBy"/> and <see cref="GatehouseConfig.ConfigHash"/>.
/// Two configs are equal when their canonical encodings (every key this build knows, labelled with
/// each config's own schema) are equal. The serializer already has to cover every member of the model,
/// so this cannot drift from it the way a hand-written deep comparison could; the records' own Equals
/// compares ImmutableArray members by reference and would call every rebuilt config "changed".
/// </summary>
public static class ConfigEquality
{
    public static bool ContentEquals(GatehouseConfig? x, GatehouseConfig? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        return Canonical(x).WrittenSpan.SequenceEqual(Canonical(y).WrittenSpan);
    }

    private static ArrayBufferWriter<byte> Canonical(GatehouseConfig config)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ConfigSerializer.Serialize(config with { Generation = 0, PublishedBy = null, ConfigHash = null }, buffer);
        return buffer;
    }
}
