using System.Buffers;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Controller.Publishing;

/// <summary>
/// Publishes a config only when its content differs from the last one published, never before
/// the sources have synced, and never an empty config over a non-empty one while a source's last
/// read was incomplete (an unreadable folder or a broken manifest must not take every route down;
/// the Tengine empty-config protection). Each publish bumps the generation the proxy watches, so skipping
/// identical configs spares the proxy pointless rebuilds (file watchers fire on touches and saves
/// that change nothing). Not thread-safe: the controller loop is its only caller.
/// </summary>
public sealed class ConfigPublisher
{
    private readonly IConfigSink _sink;
    private GatehouseConfig? _lastPublished;

    // The canonical encoding of _lastPublished (when _hasLast), and a second buffer the next config
    // is encoded into; they swap on publish. Reused because at 10k hosts each is megabytes: fresh
    // arrays every pass were large-object-heap garbage that only full GCs reclaim.
    private ArrayBufferWriter<byte> _lastCanonical = new();
    private ArrayBufferWriter<byte> _nextCanonical = new();
    private bool _hasLast;

    public ConfigPublisher(IConfigSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;

        // A restarted controller whose sources produce what the channel already holds publishes
        // nothing: no new generation, no rebuild in the proxy.
        _lastPublished = sink.Existing is { } existing ? existing with { Generation = sink.Generation } : null;
        if (_lastPublished is not null)
        {
            ConfigHash.Canonical(_lastPublished, _lastCanonical);
            _hasLast = true;
        }
    }

    /// <summary>Generation of the last publish by this process, or the channel's at start.</summary>
    public long Generation => _sink.Generation;

    public GatehouseConfig? LastPublished => _lastPublished;

    /// <summary>Publishes if allowed and changed. Exceptions from the sink propagate; the next call retries.</summary>
    /// <param name="sourcesComplete">False when any source's last read missed something (see <see cref="Sources.IResourceSource.LastReadComplete"/>).</param>
    public PublishOutcome Publish(GatehouseConfig config, bool sourcesSynced, bool sourcesComplete = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!sourcesSynced)
        {
            return PublishOutcome.NotSynced;
        }

        // Before this process published anything, the channel may still hold a previous
        // controller's config (generation > 0): assume it had hosts rather than wipe it on restart.
        var lastServed = _lastPublished is { } last ? !IsEmpty(last) : _sink.Generation > 0;
        if (!sourcesComplete && lastServed && IsEmpty(config))
        {
            // Keep the last published config; the next change (a fixed file) is evaluated afresh.
            return PublishOutcome.RefusedEmpty;
        }

        // One encoding serves the comparison and the config hash (the channel write is the other).
        ConfigHash.Canonical(config, _nextCanonical);
        var canonical = _nextCanonical.WrittenMemory;
        if (_hasLast && canonical.Span.SequenceEqual(_lastCanonical.WrittenSpan))
        {
            return PublishOutcome.Unchanged;
        }

        var generation = _sink.Publish(config with { ConfigHash = ConfigHash.FromCanonical(canonical.Span) }, canonical);
        _lastPublished = config with { Generation = generation };
        (_lastCanonical, _nextCanonical) = (_nextCanonical, _lastCanonical);
        _hasLast = true;
        return PublishOutcome.Published;
    }

    /// <summary>Serves nothing at all: every request would be answered 404.</summary>
    private static bool IsEmpty(GatehouseConfig config) => config.Hosts.IsDefaultOrEmpty && config.DefaultBackend is null;
}
