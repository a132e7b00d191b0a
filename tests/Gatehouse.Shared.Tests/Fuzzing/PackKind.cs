namespace Gatehouse.Tests.Fuzzing;

/// <summary>Kinds of <see cref="PackValue"/>; containers last so a depth limit can exclude them by range.</summary>
internal enum PackKind
{
    Nil,
    Boolean,
    Integer,
    Unsigned,
    Float32,
    Float64,
    String,
    Binary,
    Extension,
    Timestamp,
    Array,
    Map,
}
