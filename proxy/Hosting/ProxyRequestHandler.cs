using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Tls;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Hosting;

/// <summary>
/// The traffic listener's single terminal RequestDelegate: read the route table once, match, pick an
/// endpoint, forward. No routing middleware, no per-request services.
/// </summary>
internal sealed class ProxyRequestHandler
{
    private const string NoConfigMessage = "no configuration loaded\n";
    private const string NoRouteMessage = "no route for this host and path\n";

    private readonly ProxyConfigState _state;
    private readonly IHttpForwarder _forwarder;

    public ProxyRequestHandler(ProxyConfigState state, IHttpForwarder forwarder)
    {
        _state = state;
        _forwarder = forwarder;
    }

    public Task InvokeAsync(HttpContext context)
    {
        // Read once: this table serves the whole request even if a new generation is swapped in.
        var table = _state.Current;
        if (table is null)
        {
            return ErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, NoConfigMessage);
        }

        var request = context.Request;
        var route = table.Match(request.Host.Value, request.Path.Value);
        if (route is null)
        {
            return ErrorResponse.WriteAsync(context, StatusCodes.Status404NotFound, NoRouteMessage);
        }

        if (TlsRequestPolicy.Apply(context, route, table, _state.HttpsRedirectPort) is { } tlsResponse)
        {
            return tlsResponse;
        }

        var backend = route.Backend;
        var endpoint = backend.NextEndpoint();
        if (endpoint is null)
        {
            return ErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, backend.NoEndpointsMessage);
        }

        var pending = _forwarder.SendAsync(context, endpoint.UriPrefix, backend.Client);
        return pending.IsCompletedSuccessfully ? Task.CompletedTask : pending.AsTask();
    }
}
