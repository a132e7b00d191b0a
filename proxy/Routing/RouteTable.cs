using System.Collections.Frozen;
using Gatehouse.Model;

namespace Gatehouse.Proxy.Routing;

/// <summary>
/// Immutable routing snapshot compiled from one <see cref="GatehouseConfig"/>. Published through a
/// single volatile reference; a request reads it once and keeps using that instance, so a swap never
/// changes the routing of a request already in flight.
/// </summary>
internal sealed class RouteTable
{
    private readonly Dictionary<string, PathMatcher> _exactHosts;
    private readonly Dictionary<string, PathMatcher>.AlternateLookup<ReadOnlySpan<char>> _exactHostLookup;

    // Keyed by the wildcard's suffix: "*.example.com" is stored as "example.com".
    private readonly Dictionary<string, PathMatcher> _wildcardHosts;
    private readonly Dictionary<string, PathMatcher>.AlternateLookup<ReadOnlySpan<char>> _wildcardHostLookup;

    private readonly PathMatcher? _catchAll;
    private readonly Route? _defaultRoute;

    // Compiled hosts by the decoded host they came from, for the next table to reuse.
    private readonly Dictionary<VirtualHostConfig, PathMatcher> _compiled;

    /// <param name="backends">Compiled backends by name; must contain every backend the config names.</param>
    /// <param name="previous">
    /// The table this one replaces: a host that is the same decoded instance (see ConfigDecodeCache) and
    /// whose backends are the same compiled instances keeps its compiled routes, so a change to one
    /// host of many compiles one host.
    /// </param>
    public RouteTable(GatehouseConfig config, IReadOnlyDictionary<string, Backend> backends, RouteTableInfo info, RouteTable? previous = null)
    {
        Config = config;
        Info = info;
        Backends = backends.ToFrozenDictionary(StringComparer.Ordinal);

        var resolve = new Func<string, Backend>(name => backends[name]);
        _exactHosts = new Dictionary<string, PathMatcher>(StringComparer.OrdinalIgnoreCase);
        _wildcardHosts = new Dictionary<string, PathMatcher>(StringComparer.OrdinalIgnoreCase);
        _compiled = new Dictionary<VirtualHostConfig, PathMatcher>(config.Hosts.Length, ReferenceEqualityComparer.Instance);
        var routeCount = 0;
        var reused = 0;
        foreach (var host in config.Hosts)
        {
            if (previous is not null && previous._compiled.TryGetValue(host, out var matcher) && matcher.UsesOnly(backends))
            {
                reused++;
            }
            else
            {
                matcher = new PathMatcher(host.Host, host.Routes, resolve);
            }

            _compiled.TryAdd(host, matcher);
            routeCount += host.Routes.Length;
            if (host.Host.Length == 0)
            {
                _catchAll ??= matcher;
            }
            else if (host.IsWildcard)
            {
                _wildcardHosts.TryAdd(host.Host[2..], matcher);
            }
            else
            {
                _exactHosts.TryAdd(host.Host, matcher);
            }
        }

        _exactHostLookup = _exactHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardHostLookup = _wildcardHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        if (config.DefaultBackend is { } defaultBackend)
        {
            _defaultRoute = new Route("", null, backends[defaultBackend]);
        }

        HostCount = config.Hosts.Length;
        ReusedHosts = reused;
        RouteCount = routeCount;
        var endpoints = 0;
        foreach (var backend in Backends.Values)
        {
            endpoints += backend.EndpointCount;
        }

        EndpointCount = endpoints;
    }

    public GatehouseConfig Config { get; }

    public RouteTableInfo Info { get; }

    public FrozenDictionary<string, Backend> Backends { get; }

    public int HostCount { get; }

    /// <summary>Hosts whose compiled routes came from the previous table.</summary>
    public int ReusedHosts { get; }

    public int RouteCount { get; }

    public int EndpointCount { get; }

    public long Generation => Info.Generation;

    /// <summary>This generation's certificates and TLS hosts; null when the proxy has no HTTPS listener.</summary>
    public Tls.TlsConfiguration? Tls { get; init; }

    /// <summary>The route of requests nothing else matches (spec.defaultBackend), or null.</summary>
    internal Route? DefaultRoute => _defaultRoute;

    /// <summary>
    /// The compiled host a metrics host label names: "_other" the catch-all rules, "*.x" a wildcard
    /// host, anything else an exact host. For housekeeping off the request path.
    /// </summary>
    internal PathMatcher? FindLabelledHost(string label, string otherHostLabel)
    {
        if (string.Equals(label, otherHostLabel, StringComparison.Ordinal))
        {
            return _catchAll;
        }

        return label.StartsWith("*.", StringComparison.Ordinal)
            ? _wildcardHosts.GetValueOrDefault(label[2..])
            : _exactHosts.GetValueOrDefault(label);
    }

    /// <summary>
    /// Finds the route for a request. <paramref name="host"/> is the Host header as received (port
    /// and case are ignored); <paramref name="path"/> is the decoded request path. Returns null for 404.
    /// Does not allocate.
    /// </summary>
    public Route? Match(ReadOnlySpan<char> host, ReadOnlySpan<char> path)
    {
        var matcher = FindHost(StripPort(host));
        if (matcher is null)
        {
            return _defaultRoute;
        }

        return matcher.Match(path) ?? _defaultRoute;
    }

    private PathMatcher? FindHost(ReadOnlySpan<char> host)
    {
        if (!host.IsEmpty)
        {
            if (_exactHosts.Count != 0 && _exactHostLookup.TryGetValue(host, out var exact))
            {
                return exact;
            }

            // "*.example.com" covers exactly one label: strip the first label (which must be
            // non-empty) and look the rest up, so "a.b.example.com" and "example.com" do not match.
            if (_wildcardHosts.Count != 0)
            {
                var dot = host.IndexOf('.');
                if (dot > 0 && dot < host.Length - 1
                    && _wildcardHostLookup.TryGetValue(host[(dot + 1)..], out var wildcard))
                {
                    return wildcard;
                }
            }
        }

        return _catchAll;
    }

    /// <summary>Removes ":port" from "host:port" and the brackets and port from "[v6]:port".</summary>
    internal static ReadOnlySpan<char> StripPort(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty)
        {
            return host;
        }

        if (host[0] == '[')
        {
            var close = host.IndexOf(']');
            return close > 0 ? host[1..close] : host;
        }

        var colon = host.LastIndexOf(':');
        if (colon >= 0)
        {
            host = host[..colon];
        }

        // A fully qualified "example.com." names the same host as "example.com".
        if (host.Length > 1 && host[^1] == '.')
        {
            host = host[..^1];
        }

        return host;
    }
}
