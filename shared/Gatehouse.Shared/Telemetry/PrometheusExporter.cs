using System.Buffers;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>
/// Aggregates the measurements of Gatehouse meters in process and renders them in the Prometheus
/// text format 0.0.4 on demand. Observable instruments are collected at scrape time. The measurement
/// path is lock-free; scrapes are serialized with each other.
/// </summary>
public sealed class PrometheusExporter : IMetricsExposition, IDisposable
{
    private const string DroppedName = "gatehouse_metrics_dropped_label_sets_total";

    private readonly PrometheusExporterOptions _options;
    private readonly MeterListener _listener;
    private readonly Lock _aggregatorsLock = new();
    private readonly List<MetricAggregator> _aggregators = [];
    private readonly Lock _scrapeLock = new();

    public PrometheusExporter(PrometheusExporterOptions? options = null)
    {
        _options = options ?? new PrometheusExporterOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxLabelSetsPerInstrument);
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };

        // One callback per measurement type the runtime allows; integers stay integers.
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((long)value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((long)value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((long)value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((double)value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((double)value, tags));
        _listener.Start();
    }

    public string ContentType => PrometheusText.ContentType;

    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = new StringBuilder(4096);
        lock (_scrapeLock)
        {
            Render(text);
        }

        var encoder = Encoding.UTF8.GetEncoder();
        foreach (var chunk in text.GetChunks())
        {
            var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            output.Advance(encoder.GetBytes(chunk.Span, span, flush: false));
        }

        var tail = output.GetSpan(16);
        output.Advance(encoder.GetBytes([], tail, flush: true));
    }

    /// <summary>The exposition as a string; for tests and diagnostics.</summary>
    public string Scrape()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public void Dispose() => _listener.Dispose();

    private void Render(StringBuilder text)
    {
        MetricAggregator[] aggregators;
        lock (_aggregatorsLock)
        {
            aggregators = [.. _aggregators];
        }

        // Observable instruments report only what their callbacks return now.
        foreach (var aggregator in aggregators)
        {
            if (aggregator.Instrument.IsObservable)
            {
                aggregator.Reset();
            }
        }

        _listener.RecordObservableInstruments();

        // Instruments of the same name (from different meters) form one family: HELP and TYPE must appear once.
        var families = new Dictionary<string, List<MetricAggregator>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var aggregator in aggregators)
        {
            if (!families.TryGetValue(aggregator.Name, out var members))
            {
                families[aggregator.Name] = members = [];
                order.Add(aggregator.Name);
            }

            // A family has one type; an instrument that disagrees with the first one is left out.
            if (members.Count == 0 || members[0].Type == aggregator.Type)
            {
                members.Add(aggregator);
            }
        }

        var samples = new StringBuilder();
        foreach (var name in order)
        {
            var members = families[name];
            samples.Clear();
            foreach (var member in members)
            {
                member.WriteSamples(samples);
            }

            if (samples.Length == 0)
            {
                continue;
            }

            if (members[0].Instrument.Description is { Length: > 0 } help)
            {
                text.Append("# HELP ").Append(name).Append(' ');
                PrometheusText.AppendHelp(text, help);
                text.Append('\n');
            }

            text.Append("# TYPE ").Append(name).Append(' ').Append(members[0].Type).Append('\n');
            text.Append(samples);
        }

        WriteDropped(text, aggregators);
    }

    private static void WriteDropped(StringBuilder text, MetricAggregator[] aggregators)
    {
        var dropped = aggregators
            .GroupBy(a => a.Name, StringComparer.Ordinal)
            .Select(g => (Metric: g.Key, Count: g.Sum(a => a.Dropped)))
            .Where(d => d.Count > 0)
            .OrderBy(d => d.Metric, StringComparer.Ordinal)
            .ToList();
        if (dropped.Count == 0)
        {
            return;
        }

        text.Append("# HELP ").Append(DroppedName)
            .Append(" Measurements dropped because their metric already had the maximum number of label sets.\n");
        text.Append("# TYPE ").Append(DroppedName).Append(" counter\n");
        foreach (var (metric, count) in dropped)
        {
            text.Append(DroppedName).Append("{metric=\"");
            PrometheusText.AppendLabelValue(text, metric);
            text.Append("\"} ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!Includes(instrument.Meter) || CreateAggregator(instrument) is not { } aggregator)
        {
            return;
        }

        lock (_aggregatorsLock)
        {
            _aggregators.Add(aggregator);
        }

        listener.EnableMeasurementEvents(instrument, aggregator);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        if (state is MetricAggregator aggregator)
        {
            lock (_aggregatorsLock)
            {
                _aggregators.Remove(aggregator);
            }
        }
    }

    private bool Includes(Meter meter)
    {
        if (_options.MeterScope is { } scope && !ReferenceEquals(meter.Scope, scope))
        {
            return false;
        }

        var prefix = _options.MeterNamePrefix;
        return meter.Name.StartsWith(prefix, StringComparison.Ordinal)
            && (meter.Name.Length == prefix.Length || meter.Name[prefix.Length] == '.');
    }

    private MetricAggregator? CreateAggregator(Instrument instrument)
    {
        var max = _options.MaxLabelSetsPerInstrument;
        var integral = IsIntegral(instrument);
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>))
        {
            return new ScalarAggregator(instrument, PrometheusText.CounterName(instrument.Name), "counter", integral, ScalarAggregator.Accumulate, max);
        }

        if (definition == typeof(UpDownCounter<>))
        {
            return new ScalarAggregator(instrument, PrometheusText.MetricName(instrument.Name), "gauge", integral, ScalarAggregator.Accumulate, max);
        }

        if (definition == typeof(ObservableCounter<>))
        {
            return new ScalarAggregator(instrument, PrometheusText.CounterName(instrument.Name), "counter", integral, ScalarAggregator.Replace, max);
        }

        if (definition == typeof(Gauge<>) || definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>))
        {
            return new ScalarAggregator(instrument, PrometheusText.MetricName(instrument.Name), "gauge", integral, ScalarAggregator.Replace, max);
        }

        if (definition == typeof(Histogram<>))
        {
            var bounds = BucketBoundaries(instrument) ?? PrometheusExporterOptions.DefaultHistogramBuckets;
            return new HistogramAggregator(instrument, PrometheusText.MetricName(instrument.Name), bounds, max);
        }

        // An instrument kind added to the runtime later: ignored rather than misreported.
        return null;
    }

    private static bool IsIntegral(Instrument instrument)
    {
        var type = instrument.GetType();
        var argument = type.IsGenericType ? type.GetGenericArguments()[0] : null;
        return argument == typeof(byte) || argument == typeof(short) || argument == typeof(int) || argument == typeof(long);
    }

    private static double[]? BucketBoundaries(Instrument instrument) => instrument switch
    {
        Instrument<double> i => Convert(i.Advice),
        Instrument<float> i => Convert(i.Advice),
        Instrument<long> i => Convert(i.Advice),
        Instrument<int> i => Convert(i.Advice),
        Instrument<short> i => Convert(i.Advice),
        Instrument<byte> i => Convert(i.Advice),
        Instrument<decimal> i => Convert(i.Advice),
        _ => null,
    };

    private static double[]? Convert<T>(InstrumentAdvice<T>? advice)
        where T : struct
        => advice?.HistogramBucketBoundaries is { Count: > 0 } bounds
            ? [.. bounds.Select(b => System.Convert.ToDouble(b, CultureInfo.InvariantCulture))]
            : null;
}
