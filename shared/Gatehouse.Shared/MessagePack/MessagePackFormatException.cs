namespace Gatehouse.MessagePack;

/// <summary>The one exception malformed MessagePack input may raise.</summary>
public sealed class MessagePackFormatException : FormatException
{
    public MessagePackFormatException(string message, long offset)
        : base($"{message} (at byte {offset})")
    {
        Offset = offset;
    }

    /// <summary>Byte offset in the input where the problem was found.</summary>
    public long Offset { get; }
}
