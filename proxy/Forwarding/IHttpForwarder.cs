using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// Forwards one request to one destination and streams the response back. Kept behind an interface so
/// a library forwarder (e.g. YARP's IHttpForwarder) can replace ours without touching routing.
/// </summary>
internal interface IHttpForwarder
{
    /// <param name="destinationPrefix">"scheme://address:port"; the request's raw target is appended.</param>
    ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, BackendClient client);
}
