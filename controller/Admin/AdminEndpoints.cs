using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
using Gatehouse.Telemetry;

namespace Gatehouse.Controller.Admin;

/// <summary>
/// Health, readiness and introspection for operators and kubelet probes. Bound to loopback by
/// default: /config lists object names and rejection reasons, which are not for the world.
/// /metrics is mapped when an <see cref="IMetricsExposition"/> is registered.
/// </summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        // Liveness: the process is up and serving HTTP; nothing more, so a bad manifest never gets us killed.
        endpoints.MapGet("/healthz", () => Results.Text("ok"));

        // Not ready also while a synced source has lost its upstream (the API server): the last
        // config keeps serving, but operators need to see that it no longer follows the cluster.
        endpoints.MapGet("/readyz", (ControllerState state, IEnumerable<IResourceSource> sources) =>
            NotReadyReason(state, sources) is { } reason
                ? Results.Text(reason, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ok"));

        endpoints.MapGet("/config", (ControllerState state) =>
        {
            var s = state.Current;
            var body = new ConfigStatusResponse(
                s.Generation, s.Synced, s.LastPublishedAt, s.LastError, s.Hosts, s.Routes, s.Backends,
                [.. s.Rejections.Select(r => new RejectionResponse(r.Kind, r.Namespace, r.Name, r.Reason, r.Code))]);
            return Results.Json(body, AdminJsonContext.Default.ConfigStatusResponse);
        });

        if (endpoints.ServiceProvider.GetService<IMetricsExposition>() is { } metrics)
        {
            endpoints.MapGet("/metrics", async (HttpContext context) =>
            {
                var response = context.Response;
                response.ContentType = metrics.ContentType;
                response.Headers.CacheControl = "no-store";
                metrics.WriteTo(response.BodyWriter);
                await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            });
        }

        return endpoints;
    }

    private static string? NotReadyReason(ControllerState state, IEnumerable<IResourceSource> sources)
    {
        if (state.Current.NotReadyReason is { } reason)
        {
            return reason;
        }

        var problem = sources.OfType<ISourceHealth>().Select(s => s.Problem).FirstOrDefault(p => p is not null);
        return problem is null ? null : $"source unhealthy: {problem}";
    }
}
