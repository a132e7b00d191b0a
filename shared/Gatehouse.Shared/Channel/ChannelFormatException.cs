namespace Gatehouse.Channel;

/// <summary>The channel file cannot be interpreted; <see cref="Reason"/> is the snake_case metric label.</summary>
public sealed class ChannelFormatException(string reason, string message) : IOException(message)
{
    public string Reason { get; } = reason;
}
