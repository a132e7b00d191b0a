namespace Gatehouse.Telemetry;

/// <summary>Which meters a <see cref="PrometheusExporter"/> listens to and how much it keeps per instrument.</summary>
public sealed class PrometheusExporterOptions
{
    /// <summary>Prometheus' client defaults, for histograms whose instrument gives no bucket advice.</summary>
    public static IReadOnlyList<double> DefaultHistogramBuckets { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>
    /// Meters named exactly this or starting with it followed by a dot are exported. Tests use a
    /// unique prefix so exporters running in parallel do not see each other's meters.
    /// </summary>
    public string MeterNamePrefix { get; init; } = "Gatehouse";

    /// <summary>
    /// When set, only meters whose <see cref="System.Diagnostics.Metrics.Meter.Scope"/> is this object
    /// (an <see cref="System.Diagnostics.Metrics.IMeterFactory"/>, say) are exported, so several servers
    /// hosted in one process each report their own instruments.
    /// </summary>
    public object? MeterScope { get; init; }

    /// <summary>
    /// Distinct label sets kept per instrument. Measurements with a new label set beyond this are
    /// dropped and counted, so a label fed by unbounded input cannot exhaust memory.
    /// </summary>
    public int MaxLabelSetsPerInstrument { get; init; } = 2_000;
}
