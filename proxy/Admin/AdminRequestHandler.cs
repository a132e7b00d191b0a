using System.Text.Json;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Admin;

/// <summary>
/// The admin listener's only handler: liveness, readiness, a summary of the loaded config and
/// Prometheus metrics. Served on its own port so probes, scrapes and diagnostics never compete with,
/// or leak into, traffic.
/// </summary>
internal sealed class AdminRequestHandler
{
    private readonly ProxyConfigState _state;
    private readonly IMetricsExposition? _metrics;
    private readonly SeriesRegistry? _series;

    public AdminRequestHandler(ProxyConfigState state, IMetricsExposition? metrics = null, SeriesRegistry? series = null)
    {
        _state = state;
        _metrics = metrics;
        _series = series;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var isRead = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        return context.Request.Path.Value switch
        {
            _ when !isRead => WriteText(context, StatusCodes.Status405MethodNotAllowed, "method not allowed\n"),
            "/healthz" => WriteText(context, StatusCodes.Status200OK, "ok\n"),
            "/readyz" => _state.IsReady
                ? WriteText(context, StatusCodes.Status200OK, "ready\n")
                : WriteText(context, StatusCodes.Status503ServiceUnavailable, "no configuration loaded\n"),
            "/config" => WriteConfigAsync(context),
            "/metrics" when _metrics is not null => WriteMetricsAsync(context, _metrics),
            "/stats/hosts" when _series is not null => WriteHostStatsAsync(context, _series),
            "/" when _series is not null => WriteLiveViewAsync(context),
            _ => WriteText(context, StatusCodes.Status404NotFound, "not found\n"),
        };
    }

    private static Task WriteText(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private async Task WriteConfigAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        WriteConfigJson(response.BodyWriter, _state);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteMetricsAsync(HttpContext context, IMetricsExposition metrics)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = metrics.ContentType;
        response.Headers.CacheControl = "no-store";
        metrics.WriteTo(response.BodyWriter);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task WriteHostStatsAsync(HttpContext context, SeriesRegistry series)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        HostStatsReport.Write(response.BodyWriter, series, _state.TimeProvider.GetUtcNow());
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteLiveViewAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        var page = LiveViewPage.Value;
        response.ContentLength = page.Length;
        await response.Body.WriteAsync(page, context.RequestAborted).ConfigureAwait(false);
    }

    internal static void WriteConfigJson(System.Buffers.IBufferWriter<byte> output, ProxyConfigState state)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        var table = state.Current;
        json.WriteStartObject();
        json.WriteBoolean("ready", table is not null);
        if (table is null)
        {
            json.WriteNull("generation");
        }
        else
        {
            var info = table.Info;
            json.WriteNumber("generation", info.Generation);
            json.WriteString("instanceId", info.InstanceId);
            json.WriteString("schema", info.Schema.ToString());
            if (info.WrittenAt != default)
            {
                json.WriteString("writtenAt", info.WrittenAt);
            }

            json.WriteString("loadedAt", info.LoadedAt);
            json.WriteNumber("hosts", table.HostCount);
            json.WriteNumber("routes", table.RouteCount);
            json.WriteNumber("backends", table.Backends.Count);
            json.WriteNumber("endpoints", table.EndpointCount);
            if (table.Config.DefaultBackend is { } defaultBackend)
            {
                json.WriteString("defaultBackend", defaultBackend);
            }
        }

        if (state.LastRejection is { } rejection)
        {
            json.WriteStartObject("lastRejection");
            json.WriteString("reason", rejection.Reason);
            json.WriteString("detail", rejection.Detail);
            json.WriteString("at", rejection.At);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("lastRejection");
        }

        json.WriteEndObject();
    }
}
