using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Tls;
using Microsoft.AspNetCore.Http;

using Route = Gatehouse.Proxy.Routing.Route;

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
    private readonly RequestTelemetry _telemetry;

    public ProxyRequestHandler(ProxyConfigState state, IHttpForwarder forwarder, RequestTelemetry telemetry)
    {
        _state = state;
        _forwarder = forwarder;
        _telemetry = telemetry;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var observation = _telemetry.Start(context);
        var outcome = new Outcome();
        var pending = RouteAndForward(context, ref outcome);
        if (pending.IsCompletedSuccessfully)
        {
            outcome.Endpoint?.State.EndAttempt(outcome.ForwardStartedAt, CountsAsEndpointFailure(pending.Result));
            _telemetry.Complete(observation, context, outcome.Route, outcome.Backend, outcome.Endpoint, outcome.ForwardStartedAt, pending.Result);
            return Task.CompletedTask;
        }

        return CompleteAsync(pending, observation, context, outcome);
    }

    private async Task CompleteAsync(ValueTask<ForwarderError> pending, RequestObservation observation, HttpContext context, Outcome outcome)
    {
        var error = ForwarderError.None;
        try
        {
            error = await pending.ConfigureAwait(false);
        }
        finally
        {
            outcome.Endpoint?.State.EndAttempt(outcome.ForwardStartedAt, CountsAsEndpointFailure(error));
            _telemetry.Complete(observation, context, outcome.Route, outcome.Backend, outcome.Endpoint, outcome.ForwardStartedAt, error);
        }
    }

    private ValueTask<ForwarderError> RouteAndForward(HttpContext context, ref Outcome outcome)
    {
        // Read once: this table serves the whole request even if a new generation is swapped in.
        var table = _state.Current;
        if (table is null)
        {
            return Respond(ErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, NoConfigMessage));
        }

        var request = context.Request;
        var route = table.Match(request.Host.Value, request.Path.Value);
        if (route is null)
        {
            return Respond(ErrorResponse.WriteAsync(context, StatusCodes.Status404NotFound, NoRouteMessage));
        }

        outcome.Route = route;
        if (TlsRequestPolicy.Apply(context, route, table, _state.HttpsRedirectPort) is { } tlsResponse)
        {
            return Respond(tlsResponse);
        }

        var endpoint = EndpointSelection.Pick(context, route, out var backend); // canary + balancing
        outcome.Backend = backend;
        if (endpoint is null)
        {
            return Respond(ErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, backend.NoEndpointsMessage));
        }

        outcome.Endpoint = endpoint;
        outcome.ForwardStartedAt = endpoint.State.BeginAttempt();
        return _forwarder.SendAsync(context, new ForwardAttempt(endpoint, backend.Client, default, NextUpstreamConditions.None, mayRetry: false));
    }

    /// <summary>Failures that say something about the endpoint (not the client) feed passive health.</summary>
    private static bool CountsAsEndpointFailure(ForwarderError error)
        => error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.UpstreamStatus;

    private static ValueTask<ForwarderError> Respond(Task written)
        => written.IsCompletedSuccessfully ? default : AwaitResponse(written);

    private static async ValueTask<ForwarderError> AwaitResponse(Task written)
    {
        await written.ConfigureAwait(false);
        return ForwarderError.None;
    }

    /// <summary>What routing decided, for the telemetry at the end of the request.</summary>
    private struct Outcome
    {
        public Route? Route;
        public Backend? Backend;
        public BackendEndpoint? Endpoint;
        public long ForwardStartedAt;
    }
}
