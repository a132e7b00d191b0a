using System.Buffers;

namespace Gatehouse.Telemetry;

/// <summary>
/// Renders the current value of every collected metric for a scrape. The admin endpoints depend on
/// this rather than on <see cref="PrometheusExporter"/>, so an OpenTelemetry exporter can take its place.
/// </summary>
public interface IMetricsExposition
{
    /// <summary>The Content-Type of what <see cref="WriteTo"/> produces.</summary>
    string ContentType { get; }

    /// <summary>Collects observable instruments and writes one complete exposition to <paramref name="output"/>.</summary>
    void WriteTo(IBufferWriter<byte> output);
}
