using System.Threading.Channels;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Status;
using Gatehouse.Controller.Telemetry;
using Gatehouse.Controller.Translation;
using Gatehouse.Controller.Translation.Tls;

namespace Gatehouse.Controller.Publishing;

/// <summary>
/// The control loop: wait for a source change, let changes settle for the debounce period, translate
/// the combined snapshot, report rejections, publish if the config changed. Every pass works from the
/// sources' current state rather than from individual events, so coalescing or losing a wake-up is harmless.
/// </summary>
public sealed class ControllerLoop : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<IResourceSource> _sources;
    private readonly ConfigPublisher _publisher;
    private readonly ControllerState _state;
    private readonly ControllerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ControllerMetrics? _metrics;
    private readonly SnapshotGates? _gates;
    private readonly IngressEventReporter? _events;
    private readonly IngressStatusWriter? _status;

    // Capacity 1 + DropWrite: any number of notifications while busy collapse into one more pass.
    private readonly Channel<bool> _wakeUp = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly bool _sourcesSettleChanges;

    private HashSet<Diagnostic> _reported = [];

    // Survives passes so a Secret updated with a broken certificate keeps serving its last good one.
    private readonly CertificateHistory _certificates = new();

    // Survives passes so only Ingresses that changed are planned again.
    private readonly TranslationCache _plans = new();

    public ControllerLoop(
        IEnumerable<IResourceSource> sources,
        ConfigPublisher publisher,
        ControllerState state,
        ControllerOptions options,
        ILogger<ControllerLoop> logger,
        TimeProvider? time = null,
        ControllerMetrics? metrics = null,
        SnapshotGates? gates = null,
        IngressEventReporter? events = null,
        IngressStatusWriter? status = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _sources = [.. sources];
        _sourcesSettleChanges = _sources.Count > 0 && _sources.All(s => s.SettlesChanges);
        _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _gates = gates;
        _events = events;
        _status = status;

        if (publisher.LastPublished is { Certificates.IsEmpty: false } published)
        {
            var seeded = _certificates.Seed(published.Certificates);
            _logger.LogInformation("Took {Count} last good certificate(s) from the channel's generation {Generation}", seeded, published.Generation);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var source in _sources)
        {
            source.Changed += (_, _) => _wakeUp.Writer.TryWrite(true);
        }

        foreach (var source in _sources)
        {
            _logger.LogInformation("Starting source {Source}", source.Name);
            try
            {
                await source.StartAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Fatal: the host stops on a faulted BackgroundService; make the process exit non-zero too.
                _logger.LogCritical(ex, "Source {Source} failed to start", source.Name);
                Environment.ExitCode = 1;
                throw;
            }
        }

        _wakeUp.Writer.TryWrite(true);
        try
        {
            while (await _wakeUp.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                _wakeUp.Reader.TryRead(out _);

                // Quiet period: keep waiting while notifications keep coming, but not forever: a
                // source that changes without pause must still be published. Sources that settle
                // their own changes already waited one.
                if (!_sourcesSettleChanges)
                {
                    var deferrals = 0;
                    do
                    {
                        await Task.Delay(_options.Debounce, _time, stoppingToken).ConfigureAwait(false);
                    }
                    while (_wakeUp.Reader.TryRead(out _) && ++deferrals < Sources.ManifestFolderSource.MaxDeferrals);
                }

                if (!RunOnce())
                {
                    _ = RetryLaterAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One translate-and-publish pass. Returns false if it failed and should be retried.</summary>
    internal bool RunOnce()
    {
        var pending = _sources.Where(s => !s.HasSynced).Select(s => s.Name).ToList();
        if (pending.Count > 0)
        {
            _state.Update(s => s with { Synced = false, PendingSources = pending });
            _logger.LogInformation("Not publishing yet: waiting for {Sources} to sync", string.Join(", ", pending));
            _metrics?.NotSynced();
            return true;
        }

        // Snapshots first, then the flags: a source sets its flag before its snapshot, so the flags
        // read here are at least as new as the snapshots (an incomplete read is never missed).
        var snapshot = MergeSnapshots();
        var incomplete = _sources.Where(s => !s.LastReadComplete).Select(s => s.Name).ToList();
        TranslationResult result;
        PublishOutcome outcome;
        var started = _time.GetTimestamp();
        try
        {
            _metrics?.Snapshot(snapshot);
            if ((_gates is null ? snapshot : _gates.Apply(snapshot)) is not { } gated)
            {
                // A checksum mismatch with no consistent set seen yet: the channel keeps what it serves.
                _state.Update(s => s with { Synced = true, PendingSources = [], PublishAttempted = true, LastError = null });
                return true;
            }

            result = IngressTranslator.Translate(gated, _options, _certificates, _plans);
            result = _gates is null ? result : result with { Config = _gates.Complete(result.Config) };
            ReportRejections(result.Rejections, snapshot);
            outcome = _publisher.Publish(result.Config, sourcesSynced: true, sourcesComplete: incomplete.Count == 0);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Translating or publishing the config failed; retrying in {Delay}", RetryDelay);
            _state.Update(s => s with { Synced = true, PendingSources = [], PublishAttempted = true, LastError = ex.Message });
            _metrics?.Failed();
            return false;
        }

        if (outcome == PublishOutcome.RefusedEmpty)
        {
            // The channel keeps serving what it has; readiness is unaffected (the proxy is serving).
            var kept = _publisher.Generation;
            _logger.LogWarning(
                "Refusing to publish a config with no hosts while {Sources} had an incomplete read; keeping generation {Generation} until the next change",
                string.Join(", ", incomplete), kept);
            _metrics?.RefusedEmpty();
            _state.Update(s => s with { Synced = true, PendingSources = [], PublishAttempted = true, LastError = null, Generation = kept, Rejections = result.Rejections });
            return true;
        }

        if (_events is not null || _status is not null)
        {
            var served = ServedIngresses.Of(snapshot, _options);
            _events?.Served(snapshot, served);
            _status?.Observe(snapshot, served);
        }

        var config = result.Config;
        var routes = config.Hosts.Sum(h => h.Routes.Length);
        var generation = _publisher.LastPublished?.Generation ?? 0;
        var now = _time.GetUtcNow();
        _metrics?.Passed(outcome, generation, result.Rejections, _time.GetElapsedTime(started), now);
        _metrics?.Served(config);
        if (outcome == PublishOutcome.Published)
        {
            _logger.LogInformation(
                "Published config generation {Generation}: {Hosts} hosts, {Routes} routes, {Backends} backends, {Rejections} rejections",
                generation, config.Hosts.Length, routes, config.Backends.Length, result.Rejections.Count);
        }
        else
        {
            _logger.LogDebug("Config unchanged; generation {Generation} stays current", generation);
        }

        _state.Update(s => s with
        {
            Synced = true,
            PendingSources = [],
            PublishAttempted = true,
            LastError = null,
            Generation = generation,
            LastPublishedAt = outcome == PublishOutcome.Published ? now : s.LastPublishedAt,
            Hosts = config.Hosts.Length,
            Routes = routes,
            Backends = config.Backends.Length,
            Rejections = result.Rejections,
        });
        return true;
    }

    /// <summary>Logs (and records as an Event) each rejection once while it persists; one that disappears and comes back is reported again.</summary>
    private void ReportRejections(IReadOnlyList<Diagnostic> rejections, ResourceSnapshot snapshot)
    {
        var current = new HashSet<Diagnostic>(rejections);
        foreach (var rejection in rejections)
        {
            if (!_reported.Contains(rejection))
            {
                _logger.LogWarning("Rejected: {Rejection}", rejection.ToString());
                _events?.Rejected(rejection, snapshot);
            }
        }

        _reported = current;
    }

    /// <summary>Unions the sources' snapshots; on a key present in several, the first source listed wins.</summary>
    private ResourceSnapshot MergeSnapshots()
    {
        if (_sources.Count == 1)
        {
            return _sources[0].Current;
        }

        var merged = ResourceSnapshot.Empty;
        foreach (var snapshot in _sources.Select(s => s.Current).Reverse())
        {
            merged = merged with
            {
                Ingresses = merged.Ingresses.SetItems(snapshot.Ingresses),
                IngressClasses = merged.IngressClasses.SetItems(snapshot.IngressClasses),
                Services = merged.Services.SetItems(snapshot.Services),
                EndpointSlices = merged.EndpointSlices.SetItems(snapshot.EndpointSlices),
                Secrets = merged.Secrets.SetItems(snapshot.Secrets),
            };
        }

        return merged;
    }

    private async Task RetryLaterAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(RetryDelay, _time, stoppingToken).ConfigureAwait(false);
            _wakeUp.Writer.TryWrite(true);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
