namespace Gatehouse.MessagePack;

/// <summary>The format family of the next value, as far as a reader needs to branch on it.</summary>
public enum MessagePackType : byte
{
    Nil,
    Boolean,
    Integer,
    Float,
    String,
    Binary,
    Array,
    Map,
    Extension,
}
