using Gatehouse.Model;

namespace Gatehouse.Proxy.Routing;

/// <summary>One backend address with its request URI prefix precomputed so the hot path only concatenates.</summary>
internal sealed class BackendEndpoint
{
    public BackendEndpoint(EndpointConfig config, BackendProtocol protocol)
    {
        Config = config;
        var scheme = protocol is BackendProtocol.Https or BackendProtocol.Grpcs ? "https" : "http";
        UriPrefix = $"{scheme}://{config}";
    }

    public EndpointConfig Config { get; }

    /// <summary>"scheme://address:port" (IPv6 in brackets), without a trailing slash.</summary>
    public string UriPrefix { get; }

    public override string ToString() => UriPrefix;
}
