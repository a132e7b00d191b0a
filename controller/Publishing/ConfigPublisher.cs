using Gatehouse.Model;

namespace Gatehouse.Controller.Publishing;

/// <summary>
/// Publishes a config only when its content differs from the last one published, and never before
/// the sources have synced. Each publish bumps the generation the proxy watches, so skipping
/// identical configs spares the proxy pointless rebuilds (file watchers fire on touches and saves
/// that change nothing). Not thread-safe: the controller loop is its only caller.
/// </summary>
public sealed class ConfigPublisher
{
    private readonly IConfigSink _sink;
    private GatehouseConfig? _lastPublished;

    public ConfigPublisher(IConfigSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
    }

    /// <summary>Generation of the last publish by this process, or the channel's at start.</summary>
    public long Generation => _sink.Generation;

    public GatehouseConfig? LastPublished => _lastPublished;

    /// <summary>Publishes if allowed and changed. Exceptions from the sink propagate; the next call retries.</summary>
    public PublishOutcome Publish(GatehouseConfig config, bool sourcesSynced)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!sourcesSynced)
        {
            return PublishOutcome.NotSynced;
        }

        if (ConfigEquality.ContentEquals(_lastPublished, config))
        {
            return PublishOutcome.Unchanged;
        }

        var generation = _sink.Publish(config);
        _lastPublished = config with { Generation = generation };
        return PublishOutcome.Published;
    }
}
