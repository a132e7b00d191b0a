namespace Gatehouse.Tests.Fuzzing;

/// <summary>How one fuzzed Deserialize ended; counted so a property can prove it reached every outcome.</summary>
internal enum DecodeOutcome
{
    Decoded,
    FormatError,
    SchemaError,
}
