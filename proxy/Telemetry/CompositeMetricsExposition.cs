using System.Buffers;
using Gatehouse.Telemetry;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>One /metrics body from several expositions that own disjoint metric families.</summary>
internal sealed class CompositeMetricsExposition : IMetricsExposition
{
    private readonly IMetricsExposition[] _parts;

    public CompositeMetricsExposition(params IMetricsExposition[] parts) => _parts = parts;

    public string ContentType => PrometheusText.ContentType;

    public void WriteTo(IBufferWriter<byte> output)
    {
        foreach (var part in _parts)
        {
            part.WriteTo(output);
        }
    }
}
