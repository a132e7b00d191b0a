using System.Diagnostics.Metrics;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>
/// Histogram with fixed upper bounds. Each cell counts per bucket (not cumulatively, so a measurement
/// touches one counter) and accumulates the sum; the cumulative counts are computed at scrape time.
/// </summary>
internal sealed class HistogramAggregator : MetricAggregator
{
    private readonly double[] _bounds;
    private readonly string[] _boundLabels;

    public HistogramAggregator(Instrument instrument, string name, IReadOnlyList<double> bounds, int maxLabelSets)
        : base(instrument, name, "histogram", maxLabelSets)
    {
        // +Inf is implicit (the last bucket) and NaN orders nowhere; neither may appear as a bound.
        _bounds = [.. bounds.Where(double.IsFinite).Distinct().Order()];
        _boundLabels = new string[_bounds.Length];
        var label = new StringBuilder();
        for (var i = 0; i < _bounds.Length; i++)
        {
            label.Clear();
            PrometheusText.AppendNumber(label, _bounds[i]);
            _boundLabels[i] = label.ToString();
        }
    }

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => Record((double)value, tags);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (GetCell(tags) is not Cell cell)
        {
            return;
        }

        // Prometheus buckets are inclusive upper bounds: a value equal to a bound belongs to it.
        var index = Array.BinarySearch(_bounds, value);
        if (index < 0)
        {
            index = ~index;
        }

        Interlocked.Increment(ref cell.Counts[index]);
        ScalarCell.AddDouble(ref cell.Sum, value);
    }

    protected override object CreateCell() => new Cell(_bounds.Length + 1);

    protected override void WriteSeries(StringBuilder text, string labels, object cell)
    {
        var histogram = (Cell)cell;
        var separator = labels.Length > 0 ? "," : "";
        var bucketName = Name + "_bucket";
        long cumulative = 0;
        for (var i = 0; i <= _bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref histogram.Counts[i]);
            text.Append(bucketName).Append('{').Append(labels).Append(separator).Append("le=\"")
                .Append(i < _bounds.Length ? _boundLabels[i] : "+Inf").Append("\"} ");
            PrometheusText.AppendNumber(text, cumulative);
            text.Append('\n');
        }

        AppendSeriesName(text, Name + "_sum", labels);
        PrometheusText.AppendNumber(text, Volatile.Read(ref histogram.Sum));
        text.Append('\n');

        // The count is the +Inf bucket, read once, so the two always agree within a scrape.
        AppendSeriesName(text, Name + "_count", labels);
        PrometheusText.AppendNumber(text, cumulative);
        text.Append('\n');
    }

    private sealed class Cell(int buckets)
    {
        public readonly long[] Counts = new long[buckets];
        public double Sum;
    }
}
