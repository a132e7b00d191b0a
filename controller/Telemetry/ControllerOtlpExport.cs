using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gatehouse.Controller.Telemetry;

/// <summary>
/// OTLP/HTTP export of the controller's meter through the OpenTelemetry SDK, which listens to it by
/// name next to the Prometheus exporter. Disposing pushes a last collection.
/// </summary>
internal static class ControllerOtlpExport
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    public static MeterProvider Start(Uri endpoint)
        => Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("gatehouse-controller"))
            .AddMeter(ControllerMetrics.MeterName)
            .AddOtlpExporter((o, reader) =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri(endpoint.ToString().TrimEnd('/') + "/v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Interval.TotalMilliseconds;
            })
            .Build();
}
