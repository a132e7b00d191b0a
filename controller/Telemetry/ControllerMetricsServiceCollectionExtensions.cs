using System.Diagnostics.Metrics;
using Gatehouse.Telemetry;

namespace Gatehouse.Controller.Telemetry;

public static class ControllerMetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ControllerMetrics"/> and a Prometheus exporter limited to meters made by this
    /// host's <see cref="IMeterFactory"/>, which the admin endpoints serve on /metrics.
    /// </summary>
    public static IServiceCollection AddControllerMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.AddSingleton<ControllerMetrics>();
        services.AddSingleton<IMetricsExposition>(sp => new PrometheusExporter(
            new PrometheusExporterOptions { MeterScope = sp.GetRequiredService<IMeterFactory>() }));
        return services;
    }
}
