using System.Collections.Immutable;
using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Forwarding;

namespace Gatehouse.Proxy.Routing;

/// <summary>
/// A backend as compiled for one route table generation: an immutable endpoint snapshot, the
/// round-robin cursor and the long-lived <see cref="BackendClient"/> (connection pool) that survives
/// generations as long as the backend's name and protocol do not change.
/// </summary>
internal sealed class Backend
{
    private readonly BackendEndpoint[] _endpoints;
    private readonly RoundRobin _roundRobin;

    public Backend(BackendConfig config, BackendClient client, RoundRobin roundRobin)
    {
        Config = config;
        Client = client;
        _roundRobin = roundRobin;
        var endpoints = new BackendEndpoint[config.Endpoints.Length];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = new BackendEndpoint(config.Endpoints[i], config.Protocol);
        }

        _endpoints = endpoints;
        NoEndpointsMessage = "no endpoints available for " + config.Name + "\n";
    }

    public BackendConfig Config { get; }

    public string Name => Config.Name;

    public BackendProtocol Protocol => Config.Protocol;

    public BackendClient Client { get; }

    public ImmutableArray<BackendEndpoint> Endpoints => ImmutableArray.Create(_endpoints);

    public int EndpointCount => _endpoints.Length;

    /// <summary>Precomputed 503 body so the error path does not allocate either.</summary>
    public string NoEndpointsMessage { get; }

    /// <summary>Next endpoint in round-robin order, or null when the backend has no ready endpoints.</summary>
    public BackendEndpoint? NextEndpoint()
    {
        var endpoints = _endpoints;
        return endpoints.Length switch
        {
            0 => null,
            1 => endpoints[0],
            _ => endpoints[_roundRobin.Next(endpoints.Length)],
        };
    }
}
