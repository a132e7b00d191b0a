using System.Diagnostics.Metrics;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>
/// One number per label set. Counters and UpDownCounters add their measurements
/// (<see cref="Accumulate"/>); gauges and the observable instruments replace the previous value,
/// which is right for observable counters too, since they report their running total.
/// </summary>
internal sealed class ScalarAggregator : MetricAggregator
{
    private readonly bool _integral;
    private readonly bool _accumulate;

    public ScalarAggregator(Instrument instrument, string name, string type, bool integral, bool accumulate, int maxLabelSets)
        : base(instrument, name, type, maxLabelSets)
    {
        _integral = integral;
        _accumulate = accumulate;
    }

    /// <summary>Pass as <c>accumulate</c> for instruments whose measurements are deltas.</summary>
    public const bool Accumulate = true;

    /// <summary>Pass as <c>accumulate</c> for instruments whose measurements are current values.</summary>
    public const bool Replace = false;

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (GetCell(tags) is ScalarCell cell)
        {
            if (_accumulate)
            {
                cell.Add(value);
            }
            else
            {
                cell.Set(value);
            }
        }
    }

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (GetCell(tags) is ScalarCell cell)
        {
            if (_accumulate)
            {
                cell.Add(value);
            }
            else
            {
                cell.Set(value);
            }
        }
    }

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
