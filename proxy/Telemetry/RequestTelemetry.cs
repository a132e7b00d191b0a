using System.Diagnostics;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

using Route = Gatehouse.Proxy.Routing.Route;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Everything the proxy records about a request, behind two calls from the request handler:
/// <see cref="Start"/> on arrival and <see cref="Complete"/> when the response is done. Metrics go to
/// the route's preallocated series, the access log to a bounded queue, the span (when tracing) ends.
/// </summary>
internal sealed class RequestTelemetry : IAsyncDisposable
{
    private const int ClientClosedRequest = 499; // nginx's status for a client that went away

    private readonly AccessLogWriter? _accessLog;
    private readonly ProxyTracing? _tracing;
    private long _activeConnections;
    private long _acceptedConnections;

    public RequestTelemetry(AccessLogWriter? accessLog, ProxyTracing? tracing)
    {
        _accessLog = accessLog;
        _tracing = tracing;
    }

    public SeriesRegistry Series { get; } = new();

    public AccessLogWriter? AccessLog => _accessLog;

    public long ActiveConnections => Volatile.Read(ref _activeConnections);

    public long AcceptedConnections => Volatile.Read(ref _acceptedConnections);

    public RequestObservation Start(HttpContext context)
        => new(Stopwatch.GetTimestamp(), _tracing?.Start(context));

    /// <param name="route">The matched route, null when none matched or no config was loaded.</param>
    /// <param name="backend">The backend chosen (the route's own, or one of its canaries'), null when none was.</param>
    /// <param name="endpoint">The backend endpoint tried, null when the request never reached one.</param>
    /// <param name="forwardStartedAt">Stopwatch timestamp at which forwarding began, 0 when it did not.</param>
    public void Complete(in RequestObservation observation, HttpContext context, Route? route, Backend? backend, BackendEndpoint? endpoint, long forwardStartedAt, ForwarderError error)
    {
        var end = Stopwatch.GetTimestamp();
        var duration = end - observation.StartedAt;
        var upstream = forwardStartedAt != 0 ? end - forwardStartedAt : -1;
        var request = context.Request;
        var response = context.Response;
        var status = error is ForwarderError.RequestCanceled && !response.HasStarted ? ClientClosedRequest : response.StatusCode;
        long requestBytes, responseBytes;
        var multiplexed = HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol);
        if (!multiplexed && context.Features.Get<ConnectionByteCounter>() is { } wire)
        {
            (requestBytes, responseBytes) = wire.TakeRequestBytes();
        }
        else if (multiplexed && context.Features.Get<IRequestWireBytes>() is { } stream)
        {
            // The proxy's own HTTP/2 server counts each stream's frames.
            (requestBytes, responseBytes) = (stream.RequestBytes, stream.ResponseBytes);
        }
        else
        {
            // Multiplexed streams share the connection's bytes: fall back to the declared body sizes.
            requestBytes = request.ContentLength ?? 0;
            responseBytes = response.ContentLength ?? 0;
        }

        var series = route is null ? Series.Unrouted
            : backend is not null && !ReferenceEquals(backend, route.Backend) ? CanarySeries(route, backend)
            : Series.For(route);
        series.Record(MethodLabel.Index(request.Method), status, duration, upstream, requestBytes, responseBytes);
        if (error is ForwarderError.Request)
        {
            series.UpstreamConnectFailed();
        }
        else if (error is ForwarderError.RequestTimedOut)
        {
            series.UpstreamTimedOut();
        }

        var activity = observation.Activity;
        if (_accessLog is not null && AccessLogEnabled(route))
        {
            _accessLog.Enqueue(new AccessLogEntry
            {
                Time = DateTime.UtcNow,
                Host = request.Host.Value ?? "",
                Method = request.Method,
                Path = request.Path.Value ?? "",
                Status = status,
                RequestSize = requestBytes,
                ResponseSize = responseBytes,
                DurationTicks = duration,
                Upstream = endpoint?.UriPrefix,
                UpstreamTicks = upstream,
                Ingress = route?.Ingress ?? "",
                Canary = series.Canary,
                TraceId = activity?.TraceId ?? default,
                TraceParent = activity is null && request.Headers.TraceParent is { Count: 1 } traceParent ? traceParent[0] : null,
                Protocol = request.Protocol,
            });
        }

        if (activity is not null)
        {
            ProxyTracing.Stop(activity, context, series.Labels.Host, status);
        }
    }

    private RouteTelemetry CanarySeries(Route route, Backend backend)
        => Series.ForCanary(route, backend);

    // Per Ingress: enable-access-log (RouteConfig.AccessLog, schema 1.2). Unrouted requests are always logged.
    private static bool AccessLogEnabled(Route? route) => route?.AccessLog ?? true;

    /// <summary>For the retry policy: one more attempt was made for a request on <paramref name="route"/>.</summary>
    public void RetryAttempted(Route route) => Series.For(route).RetryAttempted();

    /// <summary>
    /// Kestrel connection middleware for the traffic listener: counts accepted and open connections
    /// and gives the requests a <see cref="ConnectionByteCounter"/> as a feature (wrapping the transport
    /// unless it counts by itself).
    /// </summary>
    public ConnectionDelegate CountConnections(ConnectionDelegate next)
        => async connection =>
        {
            Interlocked.Increment(ref _acceptedConnections);
            Interlocked.Increment(ref _activeConnections);
            var counter = new ConnectionByteCounter(connection.Transport);
            if (counter.WrapsTransport)
            {
                connection.Transport = counter;
            }

            connection.Features.Set(counter);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _activeConnections);
            }
        };

    public async ValueTask DisposeAsync()
    {
        if (_accessLog is not null)
        {
            await _accessLog.DisposeAsync().ConfigureAwait(false);
        }

        _tracing?.Dispose();
    }
}
