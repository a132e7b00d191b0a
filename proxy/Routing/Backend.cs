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
    private HashRing? _ring;

    public Backend(BackendConfig config, BackendClient client, RoundRobin roundRobin)
    {
        Config = config;
        Client = client;
        _roundRobin = roundRobin;
        var endpoints = new BackendEndpoint[config.Endpoints.Length];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = new BackendEndpoint(config.Endpoints[i], config.Protocol, new EndpointState());
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

    /// <summary>The endpoint owning <paramref name="keyHash"/> on this backend's consistent hash ring (built on first use).</summary>
    public BackendEndpoint? EndpointForHash(ulong keyHash)
    {
        var endpoints = _endpoints;
        if (endpoints.Length == 0)
        {
            return null;
        }

        var ring = Volatile.Read(ref _ring);
        if (ring is null)
        {
            // Built at most a few times under a race, then shared; no lock on the request path.
            var keys = new string[endpoints.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = endpoints[i].Config.ToString();
            }

            Interlocked.CompareExchange(ref _ring, new HashRing(keys), null);
            ring = Volatile.Read(ref _ring)!;
        }

        return endpoints[ring.Lookup(keyHash)];
    }

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
