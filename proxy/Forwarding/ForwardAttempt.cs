using Gatehouse.Model;
using Gatehouse.Proxy.Routing;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// One try at forwarding a request to one endpoint. The caller (the request handler's retry loop)
/// decides whether a failed attempt may be followed by another; the forwarder only honours that.
/// </summary>
internal readonly struct ForwardAttempt
{
    public ForwardAttempt(BackendEndpoint endpoint, BackendClient client, UpstreamTimeouts timeouts, NextUpstreamConditions retryOn, bool mayRetry)
    {
        Endpoint = endpoint;
        Client = client;
        Timeouts = timeouts;
        RetryOn = retryOn;
        MayRetry = mayRetry;
    }

    public BackendEndpoint Endpoint { get; }

    /// <summary>See <see cref="BackendEndpoint.RequestPrefix"/>; the request's raw target is appended.</summary>
    public string DestinationPrefix => Endpoint.RequestPrefix;

    public BackendClient Client { get; }

    public UpstreamTimeouts Timeouts { get; }

    /// <summary>proxy-next-upstream of the route: which failures another attempt would follow.</summary>
    public NextUpstreamConditions RetryOn { get; }

    /// <summary>
    /// True when another attempt would follow a failure listed in <see cref="RetryOn"/>. The forwarder
    /// then writes nothing to the client for such a failure, provided nothing of the request body has
    /// been read and nothing of the response has been sent, and returns the error (or
    /// <see cref="ForwarderError.UpstreamStatus"/> for a retryable status) so the caller can retry.
    /// When false, every failure is answered (502/504) as before.
    /// </summary>
    public bool MayRetry { get; }
}
