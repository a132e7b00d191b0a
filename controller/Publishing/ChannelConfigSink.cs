using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Controller.Publishing;

/// <summary>Publishes configs through the double-buffered memory-mapped file the proxy reads.</summary>
public sealed class ChannelConfigSink : IConfigSink, IDisposable
{
    private readonly ConfigChannelWriter _writer;

    public ChannelConfigSink(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _writer = ConfigChannelWriter.Open(path);
    }

    public long Generation => _writer.Generation;

    public long Publish(GatehouseConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);

        // The channel assigns the generation; the payload always carries 0 so it depends only on content.
        var payload = ConfigSerializer.Serialize(config with { Generation = 0 });
        return _writer.Publish(payload, config.Schema);
    }

    public void Dispose() => _writer.Dispose();
}
