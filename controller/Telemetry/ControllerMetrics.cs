using System.Diagnostics.Metrics;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation;
using Gatehouse.Model;

namespace Gatehouse.Controller.Telemetry;

/// <summary>
/// The controller's instruments, on one meter from the host's <see cref="IMeterFactory"/> (which owns
/// and disposes it). Per-kind object and rejection counts describe the current snapshot, so they are
/// observed at scrape time from the last pass's figures: a kind that stops being rejected disappears.
/// </summary>
public sealed class ControllerMetrics
{
    public const string MeterName = "Gatehouse.Controller";

    private readonly Gauge<long> _generation;
    private readonly Histogram<double> _publishDuration;
    private readonly Counter<long> _publishes;
    private readonly Gauge<double> _lastSync;
    private volatile Measurement<long>[] _objects = [];
    private volatile Measurement<long>[] _rejections = [];
    // The config last served and its measurements, counted when a scrape asks (every 15-30 s), not on
    // each pass: at 100k hosts the count walks every route, and passes can come every 100 ms.
    private volatile GatehouseConfig? _servedConfig;
    private volatile ServedCount? _servedCount;

    public ControllerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);

        _generation = meter.CreateGauge<long>(
            "gatehouse_controller_generation_published",
            description: "Generation of the config last published (or found in the channel) by this controller.");

        _publishDuration = meter.CreateHistogram<double>(
            "gatehouse_controller_publish_duration_seconds",
            unit: "s",
            description: "Time to translate the snapshot, serialize the config and publish it, for passes that published.",
            tags: null,
            advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            });

        _publishes = meter.CreateCounter<long>(
            "gatehouse_controller_publishes_total",
            description: "Control loop passes by outcome: published, unchanged, not_synced, refused_empty or failed.");

        meter.CreateObservableGauge(
            "gatehouse_controller_objects",
            () => _objects,
            description: "Objects of each kind in the controller's current snapshot.");

        meter.CreateObservableGauge(
            "gatehouse_controller_served",
            ServedMeasurements,
            description: "Objects the last translated config serves: Ingresses with at least one route (canaries included), TLS Secrets whose certificate is published.");

        meter.CreateObservableGauge(
            "gatehouse_controller_rejections",
            () => _rejections,
            description: "Current rejections (objects or parts of objects left out of the config) by kind and reason code.");

        _lastSync = meter.CreateGauge<double>(
            "gatehouse_controller_last_sync_timestamp_seconds",
            unit: "s",
            description: "Unix time of the last control loop pass that translated and published (or found nothing to change).");
    }

    public void NotSynced() => _publishes.Add(1, Outcome("not_synced"));

    public void Failed() => _publishes.Add(1, Outcome("failed"));

    /// <summary>A pass refused by empty-config protection (nothing written).</summary>
    public void RefusedEmpty() => _publishes.Add(1, Outcome("refused_empty"));

    /// <summary>Records the object counts of the snapshot being translated.</summary>
    public void Snapshot(ResourceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _objects =
        [
            Kind("Ingress", snapshot.Ingresses.Count),
            Kind("IngressClass", snapshot.IngressClasses.Count),
            Kind("Service", snapshot.Services.Count),
            Kind("EndpointSlice", snapshot.EndpointSlices.Count),
            Kind("Secret", snapshot.Secrets.Count),
        ];
    }

    /// <summary>Records what a translated config serves (seen, served and rejected objects side by side).</summary>
    public void Served(GatehouseConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _servedConfig = config;
    }

    private Measurement<long>[] ServedMeasurements()
    {
        if (_servedConfig is not { } config)
        {
            return [];
        }

        if (_servedCount is { } counted && ReferenceEquals(counted.Config, config))
        {
            return counted.Measurements;
        }

        var ingresses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in config.Hosts.SelectMany(h => h.Routes))
        {
            ingresses.Add(route.Ingress);
            foreach (var canary in route.Canaries)
            {
                ingresses.Add(canary.Ingress);
            }
        }

        ingresses.Remove("");
        Measurement<long>[] measurements = [Kind("Ingress", ingresses.Count), Kind("Secret", config.Certificates.Length)];
        _servedCount = new ServedCount(config, measurements);
        return measurements;
    }

    private sealed record ServedCount(GatehouseConfig Config, Measurement<long>[] Measurements);

    /// <summary>Records a pass that translated and reached the publisher.</summary>
    public void Passed(PublishOutcome outcome, long generation, IReadOnlyList<Diagnostic> rejections, TimeSpan elapsed, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(rejections);
        _rejections =
        [
            .. rejections
                .GroupBy(r => (r.Kind, r.Code))
                .OrderBy(g => g.Key.Kind, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Code, StringComparer.Ordinal)
                .Select(g => new Measurement<long>(
                    g.Count(),
                    new KeyValuePair<string, object?>("kind", g.Key.Kind),
                    new KeyValuePair<string, object?>("reason_code", g.Key.Code))),
        ];

        var label = outcome switch
        {
            PublishOutcome.Published => "published",
            PublishOutcome.Unchanged => "unchanged",
            _ => "not_synced",
        };
        _publishes.Add(1, Outcome(label));
        if (outcome == PublishOutcome.Published)
        {
            _publishDuration.Record(elapsed.TotalSeconds);
        }

        if (outcome != PublishOutcome.NotSynced)
        {
            _generation.Record(generation);
            _lastSync.Record(at.ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    private static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);

    private static Measurement<long> Kind(string kind, int count) => new(count, new KeyValuePair<string, object?>("kind", kind));
}
