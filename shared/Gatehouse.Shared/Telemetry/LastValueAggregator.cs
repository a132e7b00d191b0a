using System.Diagnostics.Metrics;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>
/// Gauge and the observable instruments: each measurement replaces the previous one. Observable
/// counters report their running total, so replacing is right for them too.
/// </summary>
internal sealed class LastValueAggregator : MetricAggregator
{
    private readonly bool _integral;

    public LastValueAggregator(Instrument instrument, string name, string type, bool integral, int maxLabelSets)
        : base(instrument, name, type, maxLabelSets)
    {
        _integral = integral;
    }

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => (GetCell(tags) as ScalarCell)?.Set(value);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => (GetCell(tags) as ScalarCell)?.Set(value);

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
