using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// Forwards one request to one destination and streams the response back. Kept behind an interface so
/// a library forwarder (e.g. YARP's IHttpForwarder) can replace ours without touching routing.
/// </summary>
internal interface IHttpForwarder
{
    /// <summary>
    /// Forwards <paramref name="context"/>'s request as <paramref name="attempt"/> describes. When the
    /// attempt may be retried and fails retryably before anything reached the client, the response is
    /// left untouched (<c>HasStarted</c> false) and the error returned; otherwise the forwarder answers.
    /// </summary>
    ValueTask<ForwarderError> SendAsync(HttpContext context, ForwardAttempt attempt);
}
