using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;

namespace Gatehouse.Proxy.Routing;

/// <summary>One backend address with its request URI prefix precomputed so the hot path only concatenates.</summary>
internal sealed class BackendEndpoint
{
    public BackendEndpoint(EndpointConfig config, BackendProtocol protocol, EndpointState state)
    {
        Config = config;
        State = state;
        var scheme = protocol is BackendProtocol.Https or BackendProtocol.Grpcs ? "https" : "http";
        UriPrefix = $"{scheme}://{config}";

        // HTTPS backends get their TLS from the connection pool's connect callback (SNI and verification
        // per proxy-ssl-*), so the handler sees a cleartext URI. GRPCS keeps the handler's own TLS:
        // HTTP/2 sends the URI's scheme in :scheme, and servers reject "http" on a TLS connection.
        RequestPrefix = protocol is BackendProtocol.Grpcs ? UriPrefix : $"http://{config}";
        AffinityKey = SessionAffinity.EndpointKey(config.ToString());
    }

    public EndpointConfig Config { get; }

    /// <summary>Latency, in-flight and health of this address, shared across route table generations.</summary>
    public EndpointState State { get; }

    /// <summary>How persistent affinity cookies name this endpoint: stable across generations and restarts.</summary>
    public string AffinityKey { get; }

    /// <summary>The prefix of the URI handed to the connection pool ("http://" except for GRPCS).</summary>
    public string RequestPrefix { get; }

    /// <summary>"scheme://address:port" (IPv6 in brackets), without a trailing slash: how logs name the endpoint.</summary>
    public string UriPrefix { get; }

    public override string ToString() => UriPrefix;
}
