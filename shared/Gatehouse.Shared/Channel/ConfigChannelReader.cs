namespace Gatehouse.Channel;

/// <summary>The proxy's side of the channel. Not thread-safe: one strategy thread polls it.</summary>
public sealed class ConfigChannelReader : IDisposable
{
    public ConfigChannelReader(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Checks for a newer blob. Never throws for bad file content.</summary>
    public ChannelReadResult Poll() => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
