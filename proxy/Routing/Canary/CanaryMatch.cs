namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>What one canary rule says about a request.</summary>
internal enum CanaryMatch : byte
{
    /// <summary>The rule has no opinion; later rules decide.</summary>
    FallThrough = 0,

    /// <summary>Send the request to the canary.</summary>
    Canary = 1,

    /// <summary>Send the request to the main backend and stop (ingress-nginx's "never").</summary>
    Main = 2,
}
