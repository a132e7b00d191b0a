using System.Collections.Concurrent;
using Gatehouse.Proxy.Routing;

using Route = Gatehouse.Proxy.Routing.Route;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Owns every <see cref="RouteTelemetry"/> and <see cref="HostLiveStats"/>, keyed by label values, so
/// counters survive route table swaps (a new table's routes find their series again) and series of
/// routes that left the config are dropped. Bounded: past <see cref="MaxSeries"/> routes share the
/// "_other" series.
/// </summary>
internal sealed class SeriesRegistry
{
    public const int MaxSeries = 2000;

    private readonly ConcurrentDictionary<string, RouteTelemetry> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HostLiveStats> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private int _releases;

    public SeriesRegistry()
    {
        Unrouted = new RouteTelemetry(SeriesLabels.Unrouted, Host(SeriesLabels.OtherHost));
        _series[Key(SeriesLabels.Unrouted)] = Unrouted;
    }

    /// <summary>Requests that matched no route (404), arrived before any config (503) or hit the catch-all.</summary>
    public RouteTelemetry Unrouted { get; }

    public IEnumerable<RouteTelemetry> Series => _series.Values;

    public IEnumerable<HostLiveStats> Hosts => _hosts.Values;

    /// <summary>How many times <see cref="Retain"/> dropped series (so slots under the cap may be free again).</summary>
    public int Releases => Volatile.Read(ref _releases);

    /// <summary>
    /// The series <paramref name="route"/>'s requests are recorded on: the one cached on the route, unless
    /// that is the overflow series and series were released since it was given (then attach again).
    /// </summary>
    public RouteTelemetry For(Route route)
        => route.Telemetry is { } series && (!ReferenceEquals(series, Unrouted) || route.TelemetryOverflowedAt == Releases)
            ? series
            : Attach(route);

    /// <summary>Like <see cref="For"/>, for the requests <paramref name="route"/> sends to its canary backend <paramref name="backend"/>.</summary>
    public RouteTelemetry ForCanary(Route route, Backend backend)
        => route.CanaryTelemetry is { } cached && cached.TryGetValue(backend, out var series)
            && (!ReferenceEquals(series, Unrouted) || route.TelemetryOverflowedAt == Releases)
            ? series
            : AttachCanary(route, backend);

    /// <summary>The series of <paramref name="route"/>, created on first use; then cached on the route itself.</summary>
    public RouteTelemetry Attach(Route route)
    {
        var releases = Releases;
        var labels = LabelsOf(route);
        var key = Key(labels);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.Count >= MaxSeries
                ? Unrouted
                : _series.GetOrAdd(key, static (_, state) => new RouteTelemetry(state.labels, state.registry.Host(state.labels.Host)), (labels, registry: this));
        }

        if (ReferenceEquals(series, Unrouted))
        {
            route.TelemetryOverflowedAt = releases;
        }

        route.Telemetry = series;
        return series;
    }

    /// <summary>
    /// The canary="true" series of requests <paramref name="route"/> sent to its canary backend
    /// <paramref name="backend"/>, labelled with the canary Ingress; created on first use, then cached on the route.
    /// </summary>
    public RouteTelemetry AttachCanary(Route route, Backend backend)
    {
        var canaryIngress = "";
        foreach (var canary in route.Config?.Canaries ?? [])
        {
            if (string.Equals(canary.Backend, backend.Config.Name, StringComparison.Ordinal))
            {
                canaryIngress = canary.Ingress;
                break;
            }
        }

        var releases = Releases;
        var labels = Labels(route.Host, canaryIngress, backend, canary: true);
        var key = Key(labels);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.Count >= MaxSeries
                ? Unrouted
                : _series.GetOrAdd(key, static (_, state) => new RouteTelemetry(state.labels, state.registry.Host(state.labels.Host)), (labels, registry: this));
        }

        if (ReferenceEquals(series, Unrouted))
        {
            route.TelemetryOverflowedAt = releases;
        }

        if (route.CanaryTelemetry is { } cached)
        {
            cached[backend] = series;
        }

        return series;
    }

    /// <summary>
    /// Forgets series and hosts the new table no longer has (after a swap). Walks the series (at most
    /// <see cref="MaxSeries"/>) and looks each up in the table, rather than walking the table: a swap of
    /// a 100k-host config must not build a label key for every route.
    /// </summary>
    public void Retain(RouteTable table)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { SeriesLabels.OtherHost };
        var released = false;
        foreach (var (key, series) in _series)
        {
            if (ReferenceEquals(series, Unrouted) || IsServed(table, series.Labels))
            {
                hosts.Add(series.Labels.Host);
            }
            else
            {
                released |= _series.TryRemove(key, out _);
            }
        }

        if (released)
        {
            Interlocked.Increment(ref _releases);
        }

        foreach (var host in _hosts.Keys)
        {
            if (!hosts.Contains(host))
            {
                _hosts.TryRemove(host, out _);
            }
        }
    }

    private static bool IsServed(RouteTable table, SeriesLabels labels)
    {
        if (!labels.Canary && table.DefaultRoute is { } defaultRoute && labels == LabelsOf(defaultRoute))
        {
            return true;
        }

        if (table.FindLabelledHost(labels.Host, SeriesLabels.OtherHost) is not { } matcher)
        {
            return false;
        }

        foreach (var route in matcher.Routes)
        {
            if (!labels.Canary)
            {
                if (labels == LabelsOf(route))
                {
                    return true;
                }

                continue;
            }

            foreach (var canary in route.Config?.Canaries ?? [])
            {
                if (table.Backends.TryGetValue(canary.Backend, out var backend) && labels == Labels(route.Host, canary.Ingress, backend, canary: true))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private HostLiveStats Host(string host) => _hosts.GetOrAdd(host, static h => new HostLiveStats(h));

    private static SeriesLabels LabelsOf(Route route)
        => Labels(route.Host, route.Config?.Ingress ?? "", route.Backend, canary: false);

    private static SeriesLabels Labels(string host, string ingress, Backend backend, bool canary)
    {
        var slash = ingress.IndexOf('/', StringComparison.Ordinal);
        return new SeriesLabels(
            host.Length == 0 ? SeriesLabels.OtherHost : host,
            slash >= 0 ? ingress[(slash + 1)..] : ingress,
            slash >= 0 ? ingress[..slash] : backend.Config.Namespace,
            backend.Config.Service,
            canary);
    }

    private static string Key(SeriesLabels labels)
        => string.Join('\n', labels.Host, labels.Namespace, labels.Ingress, labels.Service, labels.Canary ? "1" : "0");
}
