using Gatehouse.Model;

namespace Gatehouse.Benchmarks;

/// <summary>
/// The in-process peer for RouteTable.Match: what a straightforward implementation looks like —
/// string host keys, a lower-cased copy of the Host header per request, and a "*." + suffix string
/// for the wildcard probe — with the same longest-prefix path rules so only the host handling differs.
/// </summary>
internal sealed class NaiveRouter
{
    private readonly Dictionary<string, List<RouteConfig>> _hosts = new(StringComparer.Ordinal);

    public NaiveRouter(GatehouseConfig config)
    {
        foreach (var host in config.Hosts)
        {
            var routes = host.Routes.OrderByDescending(r => r.Path.TrimEnd('/').Length).ToList();
            _hosts.TryAdd(host.Host.ToLowerInvariant(), routes);
        }
    }

    public RouteConfig? Match(string hostHeader, string path)
    {
        var host = hostHeader.Split(':')[0].ToLowerInvariant();
        if (!_hosts.TryGetValue(host, out var routes))
        {
            var dot = host.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !_hosts.TryGetValue("*." + host.Substring(dot + 1), out routes))
            {
                return null;
            }
        }

        foreach (var route in routes)
        {
            if (route.Match == PathMatch.Exact)
            {
                if (path == route.Path)
                {
                    return route;
                }

                continue;
            }

            var prefix = route.Path.TrimEnd('/');
            if (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'))
            {
                return route;
            }
        }

        return null;
    }
}
