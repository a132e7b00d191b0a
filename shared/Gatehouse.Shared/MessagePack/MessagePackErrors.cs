namespace Gatehouse.MessagePack;

/// <summary>
/// Builds the codec's exceptions in one place so every malformed-input path raises
/// <see cref="MessagePackFormatException"/> with consistent wording, and throw sites stay small.
/// </summary>
internal static class MessagePackErrors
{
    public static MessagePackFormatException Truncated(long offset, long needed)
        => new($"Input ends early: {needed} more byte(s) needed", offset);

    public static MessagePackFormatException Reserved(long offset)
        => new("Byte 0xc1 is reserved by the MessagePack spec and never valid", offset);

    public static MessagePackFormatException Unexpected(string expected, byte code, long offset)
        => new($"Expected {expected} but found {MessagePackCode.Describe(code)}", offset);

    public static MessagePackFormatException Overflow(string target, long offset)
        => new($"Integer does not fit in {target}", offset);

    public static MessagePackFormatException TooDeep(int maxDepth, long offset)
        => new($"Nesting deeper than the limit of {maxDepth}", offset);

    public static MessagePackFormatException CountTooLarge(long count, long remaining, long offset)
        => new($"Header announces {count} element(s) but only {remaining} byte(s) remain", offset);
}
