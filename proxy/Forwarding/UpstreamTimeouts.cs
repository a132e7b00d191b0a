namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// The three nginx-style upstream timeouts of one attempt (proxy-connect-timeout, proxy-send-timeout,
/// proxy-read-timeout), resolved from the route's policy and the proxy's defaults before forwarding.
/// </summary>
/// <param name="Connect">TCP (and TLS) connect to the endpoint; expiry is a "timeout" failure (504 when not retried).</param>
/// <param name="Send">Longest pause between two successful writes of the request to the backend.</param>
/// <param name="Read">Longest pause between two successful reads of the response (headers or body chunks).</param>
internal readonly record struct UpstreamTimeouts(TimeSpan Connect, TimeSpan Send, TimeSpan Read);
