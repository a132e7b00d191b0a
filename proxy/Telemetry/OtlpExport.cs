using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// OTLP/HTTP export of the proxy's spans and metrics through the OpenTelemetry SDK. The per-request
/// series are our own cells, so they are offered to the SDK as observable instruments read at each
/// export, on a meter of their own that the Prometheus exporter does not listen to.
/// </summary>
internal sealed class OtlpExport : IDisposable
{
    public const string RequestsMeterName = "Gatehouse.Proxy.Requests";

    private readonly Meter _requestsMeter;
    private readonly TracerProvider _tracerProvider;
    private readonly MeterProvider _meterProvider;

    public OtlpExport(Uri endpoint, TimeSpan exportInterval, RequestTelemetry telemetry)
    {
        var baseUrl = endpoint.ToString().TrimEnd('/');
        var resource = ResourceBuilder.CreateDefault().AddService("gatehouse-proxy");

        // A scope object nobody else holds: the Prometheus exporter (scoped to the server) skips this meter.
        _requestsMeter = new Meter(new MeterOptions(RequestsMeterName) { Scope = new object() });
        _requestsMeter.CreateObservableCounter(
            "gatehouse.requests",
            () => RequestCounts(telemetry),
            description: "Requests by host, Ingress, Service, method and status code.");
        _requestsMeter.CreateObservableUpDownCounter(
            "gatehouse.active_connections",
            () => telemetry.ActiveConnections,
            description: "Client connections open on the traffic listener.");

        _tracerProvider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(ProxyTracing.SourceName)
            .AddOtlpExporter(o =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri(baseUrl + "/v1/traces");
            })
            .Build();

        _meterProvider = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(ProxyMetrics.MeterName, RequestsMeterName)
            .AddOtlpExporter((o, reader) =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri(baseUrl + "/v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)exportInterval.TotalMilliseconds;
            })
            .Build();
    }

    /// <summary>Flushes what is pending (spans, a last metrics collection) and stops exporting.</summary>
    public void Dispose()
    {
        _tracerProvider.Dispose();
        _meterProvider.Dispose();
        _requestsMeter.Dispose();
    }

    private static List<Measurement<long>> RequestCounts(RequestTelemetry telemetry)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var series in telemetry.Series.Series)
        {
            series.Requests.ForEach((measurements, series.Labels), static (state, method, status, count) =>
                state.measurements.Add(new Measurement<long>(
                    count,
                    new KeyValuePair<string, object?>("host", state.Labels.Host),
                    new KeyValuePair<string, object?>("namespace", state.Labels.Namespace),
                    new KeyValuePair<string, object?>("ingress", state.Labels.Ingress),
                    new KeyValuePair<string, object?>("service", state.Labels.Service),
                    new KeyValuePair<string, object?>("canary", state.Labels.Canary),
                    new KeyValuePair<string, object?>("method", MethodLabel.Names[method]),
                    new KeyValuePair<string, object?>("status", status))));
        }

        return measurements;
    }
}
