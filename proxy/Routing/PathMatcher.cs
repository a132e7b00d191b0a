using Gatehouse.Model;

namespace Gatehouse.Proxy.Routing;

/// <summary>
/// Path matching for one virtual host, following the Kubernetes Ingress rules: Exact paths compare
/// the whole path (case-sensitive); Prefix (and ImplementationSpecific) compare element-wise on '/',
/// ignoring a trailing slash on the prefix; the longest match wins and Exact beats Prefix on a tie.
/// </summary>
internal sealed class PathMatcher
{
    private readonly Dictionary<string, Route> _exact;
    private readonly Dictionary<string, Route>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;

    // Normalized prefixes (trailing '/' removed, "/" becomes ""), longest first.
    private readonly string[] _prefixes;
    private readonly Route[] _prefixRoutes;

    // Every backend the routes resolved, so a later table can tell whether this compiled host still fits.
    private readonly Backend[] _backends;

    public PathMatcher(string host, IReadOnlyList<RouteConfig> routes, Func<string, Backend> resolveBackend)
    {
        var used = new List<Backend>(1);
        resolveBackend = Tracking(resolveBackend, used);
        _exact = new Dictionary<string, Route>(StringComparer.Ordinal);
        var prefixes = new List<(string Prefix, Route Route)>();
        foreach (var config in routes)
        {
            var route = new Route(host, config, resolveBackend(config.Backend), resolveBackend);
            var path = config.Path.Length == 0 ? "/" : config.Path;
            if (config.Match == PathMatch.Exact)
            {
                // The controller sorts by priority, so the first route for a path wins on a duplicate.
                _exact.TryAdd(path, route);
            }
            else
            {
                prefixes.Add((path.TrimEnd('/'), route));
            }
        }

        // The controller already orders routes, but the longest-match guarantee must not depend on
        // it: a stable sort by normalized length keeps its order among equal lengths.
        var ordered = new (string Prefix, Route Route)[prefixes.Count];
        prefixes.CopyTo(ordered);
        var keys = new int[ordered.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = -ordered[i].Prefix.Length;
        }

        StableSort(keys, ordered);
        _prefixes = new string[ordered.Length];
        _prefixRoutes = new Route[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            _prefixes[i] = ordered[i].Prefix;
            _prefixRoutes[i] = ordered[i].Route;
        }

        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _backends = [.. used];
    }

    /// <summary>True when each backend this host resolved is still the very instance <paramref name="backends"/> has under its name.</summary>
    public bool UsesOnly(IReadOnlyDictionary<string, Backend> backends)
    {
        foreach (var backend in _backends)
        {
            if (!backends.TryGetValue(backend.Name, out var current) || !ReferenceEquals(current, backend))
            {
                return false;
            }
        }

        return true;
    }

    public int RouteCount => _exact.Count + _prefixes.Length;

    /// <summary>Every route of this host (Exact first, then prefixes longest first); not for the request path.</summary>
    public IEnumerable<Route> Routes => _exact.Values.Concat(_prefixRoutes);

    /// <summary>Finds the best route for a request path ("" is treated as "/"). Does not allocate.</summary>
    public Route? Match(ReadOnlySpan<char> path)
    {
        if (path.IsEmpty)
        {
            path = "/";
        }

        // An exact hit covers the whole path, so no prefix can be longer: checking it first
        // implements both "longest wins" and "Exact beats Prefix on a tie".
        if (_exact.Count != 0 && _exactLookup.TryGetValue(path, out var exact))
        {
            return exact;
        }

        var prefixes = _prefixes;
        for (var i = 0; i < prefixes.Length; i++)
        {
            var prefix = prefixes[i];
            if (path.StartsWith(prefix, StringComparison.Ordinal)
                && (path.Length == prefix.Length || path[prefix.Length] == '/'))
            {
                return _prefixRoutes[i];
            }
        }

        return null;
    }

    private static Func<string, Backend> Tracking(Func<string, Backend> resolve, List<Backend> used) => name =>
    {
        var backend = resolve(name);
        if (!used.Contains(backend))
        {
            used.Add(backend);
        }

        return backend;
    };

    private static void StableSort(int[] keys, (string, Route)[] items)
    {
        // Insertion sort: route lists are short and this runs only when a config is compiled.
        for (var i = 1; i < keys.Length; i++)
        {
            var key = keys[i];
            var item = items[i];
            var j = i - 1;
            while (j >= 0 && keys[j] > key)
            {
                keys[j + 1] = keys[j];
                items[j + 1] = items[j];
                j--;
            }

            keys[j + 1] = key;
            items[j + 1] = item;
        }
    }
}
