using Gatehouse.Model;

namespace Gatehouse.Serialization;

/// <summary>The blob is well-formed MessagePack but of a schema major this build cannot read.</summary>
public sealed class ConfigSchemaException(SchemaVersion found, SchemaVersion supported)
    : Exception($"Config schema {found} cannot be read by this build (reads {supported.Major}.x).")
{
    public SchemaVersion Found { get; } = found;

    public SchemaVersion Supported { get; } = supported;
}
