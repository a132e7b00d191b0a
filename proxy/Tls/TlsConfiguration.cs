using System.Collections.Immutable;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// One generation's TLS view, immutable and swapped with the route table: SNI name → host settings.
/// Lookup order: an exact TLS host, a wildcard TLS host ("*.example.com"), a certificate whose SAN
/// wildcard covers the name, then the default certificate (also used without SNI).
/// </summary>
internal sealed class TlsConfiguration
{
    private readonly Dictionary<string, TlsHostSettings> _exact;
    private readonly Dictionary<string, TlsHostSettings>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly Dictionary<string, TlsHostSettings> _wildcard;
    private readonly Dictionary<string, TlsHostSettings>.AlternateLookup<ReadOnlySpan<char>> _wildcardLookup;
    private readonly Dictionary<string, TlsHostSettings> _sanWildcard;
    private readonly Dictionary<string, TlsHostSettings>.AlternateLookup<ReadOnlySpan<char>> _sanWildcardLookup;

    public TlsConfiguration(
        Dictionary<string, TlsHostSettings> exact,
        Dictionary<string, TlsHostSettings> wildcard,
        Dictionary<string, TlsHostSettings> sanWildcard,
        TlsHostSettings defaultSettings,
        ImmutableArray<ServerCertificate> certificates)
    {
        _exact = exact;
        _exactLookup = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcard = wildcard;
        _wildcardLookup = wildcard.GetAlternateLookup<ReadOnlySpan<char>>();
        _sanWildcard = sanWildcard;
        _sanWildcardLookup = sanWildcard.GetAlternateLookup<ReadOnlySpan<char>>();
        Default = defaultSettings;
        Certificates = certificates;
    }

    public TlsHostSettings Default { get; }

    /// <summary>Every certificate this generation serves, the default included (for expiry metrics).</summary>
    public ImmutableArray<ServerCertificate> Certificates { get; }

    /// <summary>True when <paramref name="host"/> has its own certificate (an exact or wildcard TLS host).</summary>
    public bool HasTlsHost(ReadOnlySpan<char> host)
    {
        if (_exactLookup.ContainsKey(host))
        {
            return true;
        }

        var dot = host.IndexOf('.');
        return dot > 0 && _wildcardLookup.ContainsKey(host[(dot + 1)..]);
    }

    public TlsHostSettings Resolve(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return Default;
        }

        if (_exactLookup.TryGetValue(serverName, out var exact))
        {
            return exact;
        }

        var dot = serverName.IndexOf('.');
        if (dot > 0)
        {
            var parent = serverName.AsSpan(dot + 1);
            if (_wildcardLookup.TryGetValue(parent, out var wildcard) || _sanWildcardLookup.TryGetValue(parent, out wildcard))
            {
                return wildcard;
            }
        }

        return Default;
    }

    /// <summary>The hosts with their own TLS settings (exact and "*.suffix"), for diagnostics.</summary>
    public IEnumerable<string> Hosts => _exact.Keys.Concat(_wildcard.Keys.Select(static k => "*." + k)).Order(StringComparer.Ordinal);
}
