using Gatehouse.Model;

namespace Gatehouse.Dump.Diff;

/// <summary>Computes a <see cref="ConfigDiff"/>. Results list items in ordinal order so output is stable.</summary>
internal static class ConfigDiffer
{
    public static ConfigDiff Compare(GatehouseConfig from, GatehouseConfig to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);

        var hosts = Match(from.Hosts, to.Hosts, h => h.Host);
        var backends = Match(from.Backends, to.Backends, b => b.Name);
        var certificates = Match(from.Certificates, to.Certificates, c => c.Name);

        return new ConfigDiff(
            ChangeOf<string?>(from.Schema.ToString(), to.Schema.ToString()),
            ChangeOf(from.PublishedBy, to.PublishedBy),
            ChangeOf(from.ConfigHash, to.ConfigHash),
            ChangeOf(from.DefaultBackend, to.DefaultBackend),
            hosts.Added.Select(h => h.Host).ToList(),
            hosts.Removed.Select(h => h.Host).ToList(),
            hosts.Both.Select(p => CompareHost(p.From, p.To)).OfType<HostDiff>().ToList(),
            backends.Added.Select(b => b.Name).ToList(),
            backends.Removed.Select(b => b.Name).ToList(),
            backends.Both.Select(p => CompareBackend(p.From, p.To)).OfType<BackendDiff>().ToList(),
            certificates.Added.Select(c => c.Name).ToList(),
            certificates.Removed.Select(c => c.Name).ToList(),
            certificates.Both.Select(p => CompareCertificate(p.From, p.To)).OfType<CertificateDiff>().ToList());
    }

    private static HostDiff? CompareHost(VirtualHostConfig from, VirtualHostConfig to)
    {
        var routes = Match(from.Routes, to.Routes, r => (r.Path, r.Match));
        var changed = routes.Both
            .Select(p => new RouteChange(
                p.To.Path,
                p.To.Match,
                ChangeOf<string?>(p.From.Backend, p.To.Backend),
                ChangeOf<string?>(p.From.Ingress, p.To.Ingress),
                PolicyFields.ChangedRouteFields(p.From, p.To)))
            .Where(c => c.Backend is not null || c.Ingress is not null || c.PoliciesChanged.Count > 0)
            .ToList();
        var diff = new HostDiff(to.Host, ChangeOf(from.Certificate, to.Certificate), routes.Added, routes.Removed, changed, PolicyFields.ChangedHostFields(from, to));
        return diff.Certificate is null && diff.PoliciesChanged.Count == 0
            && diff.RoutesAdded.Count + diff.RoutesRemoved.Count + diff.RoutesChanged.Count == 0 ? null : diff;
    }

    private static BackendDiff? CompareBackend(BackendConfig from, BackendConfig to)
    {
        var fields = new List<KeyValuePair<string, Change<string?>>>();
        AddField(fields, "namespace", from.Namespace, to.Namespace);
        AddField(fields, "service", from.Service, to.Service);
        AddField(fields, "port", from.Port, to.Port);
        AddField(fields, "protocol", from.Protocol.ToString(), to.Protocol.ToString());

        var endpoints = Match(from.Endpoints, to.Endpoints, e => e);
        var diff = new BackendDiff(to.Name, fields, endpoints.Added, endpoints.Removed);
        return fields.Count + diff.EndpointsAdded.Count + diff.EndpointsRemoved.Count == 0 ? null : diff;
    }

    private static CertificateDiff? CompareCertificate(CertificateConfig from, CertificateConfig to)
    {
        // Only the certificate is compared, not the key: a key cannot change without its certificate.
        var hosts = Match(from.Hosts, to.Hosts, h => h);
        var diff = new CertificateDiff(
            to.Name,
            !string.Equals(from.CertificatePem, to.CertificatePem, StringComparison.Ordinal),
            hosts.Added,
            hosts.Removed);
        return !diff.CertificatePemChanged && diff.HostsAdded.Count + diff.HostsRemoved.Count == 0 ? null : diff;
    }

    private static void AddField(List<KeyValuePair<string, Change<string?>>> fields, string name, string from, string to)
    {
        if (!string.Equals(from, to, StringComparison.Ordinal))
        {
            fields.Add(new(name, new Change<string?>(from, to)));
        }
    }

    private static Change<T>? ChangeOf<T>(T from, T to)
        => EqualityComparer<T>.Default.Equals(from, to) ? null : new Change<T>(from, to);

    private sealed record Matched<T>(List<T> Added, List<T> Removed, List<(T From, T To)> Both);

    /// <summary>
    /// Pairs items by key. A key repeated within one side (not produced by the translator) keeps its
    /// first occurrence. Added items keep the new side's order, removed and paired the old side's.
    /// </summary>
    private static Matched<T> Match<T, TKey>(IEnumerable<T> from, IEnumerable<T> to, Func<T, TKey> key)
        where TKey : notnull
    {
        var old = new Dictionary<TKey, T>();
        foreach (var item in from)
        {
            old.TryAdd(key(item), item);
        }

        var seen = new HashSet<TKey>();
        var added = new List<T>();
        var both = new List<(T, T)>();
        foreach (var item in to)
        {
            var k = key(item);
            if (!seen.Add(k))
            {
                continue;
            }

            if (old.TryGetValue(k, out var previous))
            {
                both.Add((previous, item));
            }
            else
            {
                added.Add(item);
            }
        }

        var removed = new List<T>();
        foreach (var item in from)
        {
            var k = key(item);
            if (!seen.Contains(k) && seen.Add(k))
            {
                removed.Add(item);
            }
        }

        return new Matched<T>(added, removed, both);
    }
}
