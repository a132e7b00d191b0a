namespace Gatehouse.MessagePack;

/// <summary>An extension value as read: its type code and a slice of the input (not a copy).</summary>
public readonly ref struct MessagePackExtension
{
    public MessagePackExtension(sbyte type, ReadOnlySpan<byte> data)
    {
        Type = type;
        Data = data;
    }

    /// <summary>Application types are 0..127; negative types are reserved by the spec (-1 is timestamp).</summary>
    public sbyte Type { get; }

    public ReadOnlySpan<byte> Data { get; }
}
