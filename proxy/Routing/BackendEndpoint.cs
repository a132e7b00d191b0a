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
        AffinityKey = SessionAffinity.EndpointKey(config.ToString());
    }

    public EndpointConfig Config { get; }

    /// <summary>Latency, in-flight and health of this address, shared across route table generations.</summary>
    public EndpointState State { get; }

    /// <summary>How persistent affinity cookies name this endpoint: stable across generations and restarts.</summary>
    public string AffinityKey { get; }

    /// <summary>"scheme://address:port" (IPv6 in brackets), without a trailing slash.</summary>
    public string UriPrefix { get; }

    public override string ToString() => UriPrefix;
}
