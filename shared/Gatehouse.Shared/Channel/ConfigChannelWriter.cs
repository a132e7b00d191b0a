using Gatehouse.Model;

namespace Gatehouse.Channel;

/// <summary>The controller's side of the double-buffered memory-mapped config file.</summary>
public sealed class ConfigChannelWriter : IDisposable
{
    public const string DefaultPath = "/var/run/gatehouse/config.bin";

    private ConfigChannelWriter()
    {
    }

    /// <summary>Opens or creates (mode 0600) the channel file.</summary>
    public static ConfigChannelWriter Open(string path) => throw new NotImplementedException();

    /// <summary>Random id of this file's current incarnation.</summary>
    public Guid InstanceId => throw new NotImplementedException();

    /// <summary>The generation most recently published (0 for a new file).</summary>
    public long Generation => throw new NotImplementedException();

    /// <summary>Writes the payload to the inactive slot and publishes it; returns its generation.</summary>
    public long Publish(ReadOnlySpan<byte> payload, SchemaVersion schema) => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
