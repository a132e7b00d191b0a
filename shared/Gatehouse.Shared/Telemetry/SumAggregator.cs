using System.Diagnostics.Metrics;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>Counter (exposed as a Prometheus counter) and UpDownCounter (a gauge): measurements are added.</summary>
internal sealed class SumAggregator : MetricAggregator
{
    private readonly bool _integral;

    public SumAggregator(Instrument instrument, string name, string type, bool integral, int maxLabelSets)
        : base(instrument, name, type, maxLabelSets)
    {
        _integral = integral;
    }

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => (GetCell(tags) as ScalarCell)?.Add(value);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => (GetCell(tags) as ScalarCell)?.Add(value);

    protected override object CreateCell() => new ScalarCell();

    protected override void WriteSeries(StringBuilder text, string labels, object cell)
    {
        var scalar = (ScalarCell)cell;
        AppendSeriesName(text, Name, labels);
        if (_integral)
        {
            PrometheusText.AppendNumber(text, scalar.Long);
        }
        else
        {
            PrometheusText.AppendNumber(text, scalar.Double);
        }

        text.Append('\n');
    }
}
