using System.Buffers;
using System.Diagnostics;
using System.Text;
using Gatehouse.Telemetry;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Renders the per-request series of <see cref="RequestTelemetry"/> in the Prometheus text format.
/// The cells are our own lock-free counters rather than Meter instruments (a MeterListener callback
/// per measurement would cost a tag-set lookup per request), so they are read here at scrape time.
/// </summary>
internal sealed class RequestMetricsExposition : IMetricsExposition
{
    private readonly RequestTelemetry _telemetry;

    public RequestMetricsExposition(RequestTelemetry telemetry) => _telemetry = telemetry;

    public string ContentType => PrometheusText.ContentType;

    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = new PrometheusUtf8Writer(output);
        Render(text);
        text.Flush();
    }

    /// <summary>The exposition as a string; for tests.</summary>
    public string Scrape()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void Render(PrometheusUtf8Writer text)
    {
        var series = _telemetry.Series.Series.OrderBy(s => s.Labels.Host, StringComparer.Ordinal)
            .ThenBy(s => s.Labels.Namespace, StringComparer.Ordinal)
            .ThenBy(s => s.Labels.Ingress, StringComparer.Ordinal)
            .ThenBy(s => s.Labels.Service, StringComparer.Ordinal)
            .ToList();

        Header(text, "gatehouse_requests_total", "counter", "Requests by host, Ingress, Service, method and status code.");
        foreach (var s in series)
        {
            s.Requests.ForEach((text, s.Labels), static (state, method, status, count) =>
            {
                state.text.Append("gatehouse_requests_total{");
                AppendLabels(state.text, state.Labels);
                state.text.Append(",method=\"").Append(MethodLabel.Names[method]).Append("\",status=\"").Append(status).Append("\"} ");
                state.text.AppendNumber(count);
                state.text.Append('\n');
            });
            if (s.Requests.Overflow > 0)
            {
                text.Append("gatehouse_requests_total{");
                AppendLabels(text, s.Labels);
                text.Append(",method=\"_other\",status=\"_other\"} ");
                text.AppendNumber(s.Requests.Overflow);
                text.Append('\n');
            }
        }

        Histogram(text, series, "gatehouse_request_duration_seconds", "Time from the request's arrival to the end of its response, in seconds.", s => s.Duration, Stopwatch.Frequency, RouteTelemetry.DurationBoundsSeconds);
        Histogram(text, series, "gatehouse_upstream_response_duration_seconds", "Time spent forwarding to the backend: connect, request, response headers and body, in seconds.", s => s.UpstreamDuration, Stopwatch.Frequency, RouteTelemetry.DurationBoundsSeconds);
        Histogram(text, series, "gatehouse_request_size_bytes", "Request size as received: request line, headers and body (decrypted over HTTPS; HTTP/2: the stream's frames), in bytes.", s => s.RequestSize, 1, RouteTelemetry.SizeBoundsBytes);
        Histogram(text, series, "gatehouse_response_size_bytes", "Response size as sent: status line, headers and body (before encryption over HTTPS; HTTP/2: the stream's frames), in bytes.", s => s.ResponseSize, 1, RouteTelemetry.SizeBoundsBytes);

        Counter(text, series, "gatehouse_upstream_connect_errors_total", "Requests whose backend could not be reached or failed before response headers (answered 502).", s => s.UpstreamConnectErrors);
        Counter(text, series, "gatehouse_upstream_timeouts_total", "Requests whose backend sent no response headers within the upstream timeout (answered 504).", s => s.UpstreamTimeouts);
        Counter(text, series, "gatehouse_upstream_retries_total", "Additional upstream attempts made by the retry policy.", s => s.Retries);

        Header(text, "gatehouse_active_connections", "gauge", "Client connections open on the traffic listener.");
        text.Append("gatehouse_active_connections ");
        text.AppendNumber(_telemetry.ActiveConnections);
        text.Append('\n');
        Header(text, "gatehouse_connections_accepted_total", "counter", "Client connections accepted by the traffic listener.");
        text.Append("gatehouse_connections_accepted_total ");
        text.AppendNumber(_telemetry.AcceptedConnections);
        text.Append('\n');

        if (_telemetry.AccessLog is { } accessLog)
        {
            Header(text, "gatehouse_access_log_dropped_total", "counter", "Access log lines dropped because the writer fell behind.");
            text.Append("gatehouse_access_log_dropped_total ");
            text.AppendNumber(accessLog.Dropped);
            text.Append('\n');
        }
    }

    private static void Header(PrometheusUtf8Writer text, string name, string type, string help)
    {
        text.Append("# HELP ").Append(name).Append(' ');
        text.AppendHelp(help);
        text.Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Counter(PrometheusUtf8Writer text, List<RouteTelemetry> series, string name, string help, Func<RouteTelemetry, long> value)
    {
        Header(text, name, "counter", help);
        foreach (var s in series)
        {
            text.Append(name).Append('{');
            AppendLabels(text, s.Labels);
            text.Append("} ");
            text.AppendNumber(value(s));
            text.Append('\n');
        }
    }

    private static void Histogram(
        PrometheusUtf8Writer text,
        List<RouteTelemetry> series,
        string name,
        string help,
        Func<RouteTelemetry, StripedHistogram> select,
        double unitsPerValue,
        double[] bounds)
    {
        Header(text, name, "histogram", help);
        Span<long> buckets = stackalloc long[bounds.Length + 1];
        foreach (var s in series)
        {
            var histogram = select(s);
            histogram.Snapshot(buckets, out var sum);
            long cumulative = 0;
            for (var i = 0; i <= bounds.Length; i++)
            {
                cumulative += buckets[i];
                text.Append(name).Append("_bucket{");
                AppendLabels(text, s.Labels);
                text.Append(",le=\"");
                text.AppendNumber(i < bounds.Length ? bounds[i] : double.PositiveInfinity);
                text.Append("\"} ");
                text.AppendNumber(cumulative);
                text.Append('\n');
            }

            text.Append(name).Append("_sum{");
            AppendLabels(text, s.Labels);
            text.Append("} ");
            text.AppendNumber(sum / unitsPerValue);
            text.Append('\n');
            text.Append(name).Append("_count{");
            AppendLabels(text, s.Labels);
            text.Append("} ");
            text.AppendNumber(cumulative);
            text.Append('\n');
        }
    }

    private static void AppendLabels(PrometheusUtf8Writer text, SeriesLabels labels)
    {
        text.Append("host=\"");
        text.AppendLabelValue(labels.Host);
        text.Append("\",namespace=\"");
        text.AppendLabelValue(labels.Namespace);
        text.Append("\",ingress=\"");
        text.AppendLabelValue(labels.Ingress);
        text.Append("\",service=\"");
        text.AppendLabelValue(labels.Service);
        text.Append("\",canary=\"").Append(labels.Canary ? "true" : "false").Append('"');
    }
}
