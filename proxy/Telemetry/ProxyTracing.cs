using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// A span per proxied request, continuing the client's W3C trace context (or starting a trace), and
/// the request's traceparent rewritten to name that span, so the forwarder (which copies request
/// headers) hands the backend our span as its parent.
/// </summary>
internal sealed class ProxyTracing : IDisposable
{
    public const string SourceName = "Gatehouse.Proxy";
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    private readonly ActivitySource _source = new(SourceName);
    private readonly ActivityListener _listener;

    public ProxyTracing()
    {
        // Our own listener records every span, so "--tracing on" works without an exporter; the
        // OpenTelemetry tracer provider, when there is one, listens to the same source and exports.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, _source),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public Activity? Start(HttpContext context)
    {
        var headers = context.Request.Headers;
        var parent = default(ActivityContext);
        var traceParent = headers[TraceParent];
        if (traceParent.Count == 1)
        {
            ActivityContext.TryParse(traceParent[0], headers[TraceState] is { Count: 1 } state ? state[0] : null, isRemote: true, out parent);
        }

        var previous = Activity.Current;
        var activity = _source.StartActivity("proxy", ActivityKind.Server, parent);
        if (activity is null)
        {
            return null;
        }

        // The span is carried by the request, not the ambient context: Kestrel reuses the calling
        // async flow for the next request on the connection.
        Activity.Current = previous;
        headers[TraceParent] = activity.Id;
        if (activity.TraceStateString is null)
        {
            headers.Remove(TraceState);
        }

        return activity;
    }

    public static void Stop(Activity activity, HttpContext context, string host, int status)
    {
        var request = context.Request;
        activity.DisplayName = request.Method;
        activity.SetTag("http.request.method", request.Method);
        activity.SetTag("server.address", host);
        activity.SetTag("url.path", request.Path.Value);
        activity.SetTag("http.response.status_code", status);
        if (status >= 500)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }

        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous;
    }

    public void Dispose()
    {
        _listener.Dispose();
        _source.Dispose();
    }
}
