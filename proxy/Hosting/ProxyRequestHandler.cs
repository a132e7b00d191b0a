using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    private readonly ForwarderOptions _options;

    public ProxyRequestHandler(ProxyConfigState state, IHttpForwarder forwarder, RequestTelemetry telemetry, ForwarderOptions options)
    {
        _state = state;
        _forwarder = forwarder;
        _telemetry = telemetry;
        _options = options;
    }

    /// <summary>For Kestrel's listeners, which take a <see cref="RequestDelegate"/>.</summary>
    public Task InvokeTaskAsync(HttpContext context) => InvokeAsync(context).AsTask();

    public ValueTask InvokeAsync(HttpContext context)
    {
        var observation = _telemetry.Start(context);
        var outcome = new Outcome();
        var pending = RouteAndForward(context, ref outcome);
        if (pending.IsCompletedSuccessfully)
        {
            // Read once: the forwarders' ValueTasks come from pooled boxes, which a second read could find reused.
            var error = pending.Result;
            if (!NeedsRetry(context, outcome, error))
            {
                outcome.Endpoint?.State.EndAttempt(outcome.ForwardStartedAt, CountsAsEndpointFailure(error));
                _telemetry.Complete(observation, context, outcome.Route, outcome.Backend, outcome.Endpoint, outcome.ForwardStartedAt, error);
                return default;
            }

            pending = new ValueTask<ForwarderError>(error);
        }

        return CompleteAsync(pending, observation, context, outcome);
    }

    // A forwarded request always gets here (the backend answers later): a pooled box, not a Task per request.
    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder))]
    private async ValueTask CompleteAsync(ValueTask<ForwarderError> pending, RequestObservation observation, HttpContext context, Outcome outcome)
    {
        var error = ForwarderError.None;
        var attemptEnded = false;
        try
        {
            error = await pending.ConfigureAwait(false);
            if (NeedsRetry(context, outcome, error))
            {
                // The loop ends every attempt it makes, the first one included.
                attemptEnded = true;
                (error, outcome.Endpoint, outcome.ForwardStartedAt) = await RetryAsync(context, outcome, error, observation.StartedAt).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!attemptEnded)
            {
                outcome.Endpoint?.State.EndAttempt(outcome.ForwardStartedAt, CountsAsEndpointFailure(error));
            }

            _telemetry.Complete(observation, context, outcome.Route, outcome.Backend, outcome.Endpoint, outcome.ForwardStartedAt, error);
        }
    }

    /// <summary>
    /// proxy-next-upstream: the attempt failed in a way the route retries, and the forwarder left the
    /// response untouched. Further endpoints are tried until one answers, the tries or the endpoints
    /// run out, or proxy-next-upstream-timeout has passed; the last attempt answers whatever happens.
    /// Returns the final outcome and the endpoint of the last attempt.
    /// </summary>
    private async ValueTask<(ForwarderError Error, BackendEndpoint Endpoint, long StartedAt)> RetryAsync(
        HttpContext context, Outcome outcome, ForwarderError error, long requestStartedAt)
    {
        var route = outcome.Route!;
        var backend = outcome.Backend!;
        var policy = route.Upstream;
        var timeouts = policy.Timeouts(_options);
        var maxTries = policy.Tries == 0 ? backend.EndpointCount : Math.Min(policy.Tries, backend.EndpointCount);
        var budget = policy.RetryBudget;
        var tried = new List<BackendEndpoint>(Math.Min(maxTries, 8)) { outcome.Endpoint! };
        var endpoint = outcome.Endpoint!;
        var startedAt = outcome.ForwardStartedAt;
        var open = true;
        try
        {
            while (true)
            {
                endpoint.State.EndAttempt(startedAt, failed: true);
                open = false;
                var withinBudget = budget <= TimeSpan.Zero || Stopwatch.GetElapsedTime(requestStartedAt) < budget;
                var next = tried.Count < maxTries && withinBudget && !context.RequestAborted.IsCancellationRequested
                    ? EndpointSelection.PickRetry(backend, CollectionsMarshal.AsSpan(tried))
                    : null;
                if (next is null)
                {
                    // Nobody left to ask: answer for the attempt that failed unanswered.
                    return (await AnswerUnretriedAsync(context, backend, error).ConfigureAwait(false), endpoint, startedAt);
                }

                _telemetry.RetryAttempted(route);
                tried.Add(next);
                endpoint = next;
                var mayRetry = tried.Count < maxTries;
                startedAt = endpoint.State.BeginAttempt();
                open = true;
                error = await _forwarder.SendAsync(context, new ForwardAttempt(endpoint, backend.Client, timeouts, policy.RetryOn, mayRetry)).ConfigureAwait(false);
                if (!mayRetry || !IsRetryable(error) || context.Response.HasStarted)
                {
                    endpoint.State.EndAttempt(startedAt, CountsAsEndpointFailure(error));
                    open = false;
                    return (error, endpoint, startedAt);
                }
            }
        }
        finally
        {
            if (open)
            {
                // An exception mid-attempt still ends that attempt for the endpoint's bookkeeping.
                endpoint.State.EndAttempt(startedAt, failed: true);
            }
        }
    }

    private static Task<ForwarderError> AnswerUnretriedAsync(HttpContext context, Backend backend, ForwarderError error)
    {
        var (status, message) = error switch
        {
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "upstream timed out: " + backend.Name + "\n"),
            ForwarderError.UpstreamStatus => (StatusCodes.Status502BadGateway, "bad gateway: every endpoint tried answered an error (proxy-next-upstream) for " + backend.Name + "\n"),
            _ => (StatusCodes.Status502BadGateway, "bad gateway: no endpoint of " + backend.Name + " could be reached\n"),
        };
        return AnswerAsync(context, status, message, error);
    }

    private static async Task<ForwarderError> AnswerAsync(HttpContext context, int status, string message, ForwarderError error)
    {
        await ErrorResponse.WriteAsync(context, status, message).ConfigureAwait(false);
        return error;
    }

    private static bool NeedsRetry(HttpContext context, in Outcome outcome, ForwarderError error)
        => outcome.MayRetry && IsRetryable(error) && !context.Response.HasStarted;

    private static bool IsRetryable(ForwarderError error)
        => error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.UpstreamStatus;

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

        var policy = route.Upstream;
        outcome.Endpoint = endpoint;
        outcome.MayRetry = backend.EndpointCount > 1 && policy.AllowsRetry(request.Method);
        outcome.ForwardStartedAt = endpoint.State.BeginAttempt();
        return _forwarder.SendAsync(context, new ForwardAttempt(endpoint, backend.Client, policy.Timeouts(_options), policy.RetryOn, outcome.MayRetry));
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

        /// <summary>The first attempt was sent with <see cref="ForwardAttempt.MayRetry"/>.</summary>
        public bool MayRetry;
    }
}
