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
        : this(config, client, roundRobin, previousStates: null, PassiveHealth.Default)
    {
    }

    /// <param name="previousStates">The endpoint states of this backend's previous generation, by address;
    /// endpoints still present keep theirs (latency, in flight, ejection).</param>
    public Backend(BackendConfig config, BackendClient client, RoundRobin roundRobin, IReadOnlyDictionary<string, EndpointState>? previousStates, PassiveHealth health)
    {
        Config = config;
        Client = client;
        _roundRobin = roundRobin;
        var endpoints = new BackendEndpoint[config.Endpoints.Length];
        var states = new Dictionary<string, EndpointState>(endpoints.Length, StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Length; i++)
        {
            var address = config.Endpoints[i].ToString();
            if (!states.TryGetValue(address, out var state))
            {
                state = previousStates?.GetValueOrDefault(address) ?? new EndpointState(config.Name + "@" + address, health);
                states[address] = state;
            }

            endpoints[i] = new BackendEndpoint(config.Endpoints[i], config.Protocol, state);
        }

        _endpoints = endpoints;
        States = states;
        AffinityTag = SessionAffinity.BackendTag(config.Name);
        NoEndpointsMessage = "no endpoints available for " + config.Name + "\n";
    }

    /// <summary>How affinity cookies name this backend (see <see cref="SessionAffinity"/>).</summary>
    public string AffinityTag { get; }

    /// <summary>The endpoints without a copy (request path).</summary>
    internal ReadOnlySpan<BackendEndpoint> EndpointsArray => _endpoints;

    /// <summary>This generation's endpoint states by address, for the next generation to carry over.</summary>
    public IReadOnlyDictionary<string, EndpointState> States { get; }

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

        return FirstAvailableFrom(endpoints, ring.Lookup(keyHash));
    }

    /// <summary>Next endpoint in round-robin order, or null when the backend has no ready endpoints.</summary>
    public BackendEndpoint? NextEndpoint()
    {
        var endpoints = _endpoints;
        return endpoints.Length switch
        {
            0 => null,
            1 => endpoints[0],
            _ => FirstAvailableFrom(endpoints, _roundRobin.Next(endpoints.Length)),
        };
    }

    /// <summary>
    /// load-balance: ewma. Two endpoints drawn at random, the one with the lower score wins (power of
    /// two choices): close to the best choice at a fraction of the cost of scanning, and without
    /// stampeding onto one endpoint the way always taking the minimum would.
    /// </summary>
    public BackendEndpoint? EwmaEndpoint()
    {
        var endpoints = _endpoints;
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return endpoints[0];
        }

        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var first = Random.Shared.Next(endpoints.Length);
        var second = Random.Shared.Next(endpoints.Length - 1);
        if (second >= first)
        {
            second++;
        }

        var a = endpoints[first];
        var b = endpoints[second];
        var aAvailable = a.State.IsAvailable(now);
        var bAvailable = b.State.IsAvailable(now);
        if (aAvailable != bAvailable)
        {
            return aAvailable ? a : b;
        }

        if (!aAvailable)
        {
            return FirstAvailableFrom(endpoints, first);
        }

        return b.State.Score(now) < a.State.Score(now) ? b : a;
    }

    /// <summary>
    /// The endpoint at <paramref name="start"/> unless passive health ejected it, else the next
    /// available one after it; when every endpoint is ejected, the one at <paramref name="start"/>
    /// (better a request to an endpoint that may have recovered than none at all).
    /// </summary>
    private static BackendEndpoint FirstAvailableFrom(BackendEndpoint[] endpoints, int start)
    {
        var candidate = endpoints[start];
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (candidate.State.IsAvailable(now))
        {
            return candidate;
        }

        for (var i = 1; i < endpoints.Length; i++)
        {
            var next = endpoints[(start + i) % endpoints.Length];
            if (next.State.IsAvailable(now))
            {
                return next;
            }
        }

        return candidate;
    }
}
