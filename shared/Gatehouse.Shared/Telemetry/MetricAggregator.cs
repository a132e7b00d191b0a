using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>
/// Everything one instrument has measured, one cell per label set. Recording is lock-free: a label
/// set already seen costs a dictionary lookup on a struct key and an interlocked update of its cell.
/// </summary>
internal abstract class MetricAggregator
{
    private readonly ConcurrentDictionary<TagSetKey, object> _cells = new();
    private readonly int _maxLabelSets;
    private int _labelSets;
    private long _dropped;

    protected MetricAggregator(Instrument instrument, string name, string type, int maxLabelSets)
    {
        Instrument = instrument;
        Name = name;
        Type = type;
        _maxLabelSets = maxLabelSets;
    }

    public Instrument Instrument { get; }

    /// <summary>The Prometheus family name (sanitized, with "_total" for counters).</summary>
    public string Name { get; }

    /// <summary>counter, gauge or histogram.</summary>
    public string Type { get; }

    /// <summary>Measurements refused because the instrument already had its maximum of label sets.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public abstract void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    /// <summary>Forgets every label set; observable instruments start each collection afresh, so a series they stop reporting disappears.</summary>
    public void Reset()
    {
        _cells.Clear();
        Volatile.Write(ref _labelSets, 0);
    }

    /// <summary>Appends this instrument's samples (no HELP or TYPE line), series ordered by label text.</summary>
    public void WriteSamples(StringBuilder text)
    {
        var series = new List<(string Labels, object Cell)>(_cells.Count);
        var labels = new StringBuilder();
        foreach (var (key, cell) in _cells)
        {
            labels.Clear();
            foreach (var tag in key.Tags)
            {
                if (labels.Length > 0)
                {
                    labels.Append(',');
                }

                labels.Append(PrometheusText.LabelName(tag.Key)).Append("=\"");
                PrometheusText.AppendLabelValue(labels, PrometheusText.LabelValue(tag.Value));
                labels.Append('"');
            }

            series.Add((labels.ToString(), cell));
        }

        series.Sort(static (a, b) => string.CompareOrdinal(a.Labels, b.Labels));
        foreach (var (labelText, cell) in series)
        {
            WriteSeries(text, labelText, cell);
        }
    }

    /// <summary>Writes one label set's sample lines; <paramref name="labels"/> is rendered without braces.</summary>
    protected abstract void WriteSeries(StringBuilder text, string labels, object cell);

    protected abstract object CreateCell();

    /// <summary>The cell for <paramref name="tags"/>, or null when the label set is new and the instrument is full.</summary>
    protected object? GetCell(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = new TagSetKey(tags);
        return _cells.TryGetValue(key, out var cell) ? cell : AddCell(key);
    }

    /// <summary>Writes "name{labels} " (or "name " when there are none).</summary>
    protected static void AppendSeriesName(StringBuilder text, string name, string labels)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ');
    }

    private object? AddCell(TagSetKey key)
    {
        // Reserve a slot first so racing threads cannot overshoot the limit together.
        if (Interlocked.Increment(ref _labelSets) > _maxLabelSets)
        {
            Interlocked.Decrement(ref _labelSets);
            Interlocked.Increment(ref _dropped);
            return null;
        }

        var created = CreateCell();
        var cell = _cells.GetOrAdd(key, created);
        if (!ReferenceEquals(cell, created))
        {
            // Another thread added this label set first; give the slot back.
            Interlocked.Decrement(ref _labelSets);
        }

        return cell;
    }
}
