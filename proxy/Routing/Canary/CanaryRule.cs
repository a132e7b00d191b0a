using System.Globalization;
using System.Text.RegularExpressions;
using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>
/// One canary compiled for a route table generation: its backend, its header/cookie/query rules with
/// value lists and the regex ready, and its actions. Immutable and shared by all requests.
/// </summary>
internal sealed class CanaryRule
{
    /// <summary>A canary pattern runs on client input: bound it so a pathological one cannot stall a request.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(50);

    private const string Always = "always";
    private const string Never = "never";

    private readonly string? _header;
    private readonly string[] _headerValues;
    private readonly Regex? _headerPattern;
    private readonly string? _cookie;
    private readonly string[] _cookieValues;
    private readonly string? _query;
    private readonly string[] _queryValues;
    private readonly int _modDivisor;
    private readonly CanaryModOperator _modOperator;
    private readonly int _modRemainder;

    public CanaryRule(CanaryConfig config, Backend backend, string routePath = "/")
    {
        Config = config;
        Backend = backend;
        _header = config.Header;
        _headerValues = [.. config.HeaderValues];

        // ingress-nginx: a value wins over a pattern, so the pattern is compiled only when it is used.
        if (config.HeaderPattern is { } pattern && _headerValues.Length == 0)
        {
            _headerPattern = new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout);
        }

        _cookie = config.Cookie;
        _cookieValues = [.. config.CookieValues];
        _query = config.Query;
        _queryValues = [.. config.QueryValues];
        _modDivisor = config.ModDivisor;
        _modOperator = config.ModOperator;
        _modRemainder = config.ModRemainder;
        Actions = CanaryActions.Create(config);
        HashKey = HashKey.TryCompile(config.Upstream?.HashBy);
        LoadBalance = config.Upstream?.LoadBalance ?? LoadBalancingPolicy.RoundRobin;
        Affinity = SessionAffinity.For(config.Upstream?.Affinity, routePath);
    }

    /// <summary>The canary Ingress's own affinity, used under affinity-canary-behavior: legacy.</summary>
    public SessionAffinity? Affinity { get; }

    /// <summary>The canary Ingress's load-balance (ingress-nginx honours it on a canary).</summary>
    public LoadBalancingPolicy LoadBalance { get; }

    /// <summary>The canary Ingress's upstream-hash-by, or null for round robin.</summary>
    public HashKey? HashKey { get; }

    public CanaryConfig Config { get; }

    public Backend Backend { get; }

    /// <summary>Applied when a header, cookie or query rule selected this canary; null when there are none.</summary>
    public CanaryActions? Actions { get; }

    public bool HasHeader => _header is not null;

    public bool HasCookie => _cookie is not null;

    public bool HasQuery => _query is not null;

    public int Weight => Config.Weight;

    public CanaryMatch MatchHeader(HttpRequest request)
    {
        var values = request.Headers[_header!];
        if (values.Count == 0)
        {
            return CanaryMatch.FallThrough;
        }

        var value = values[0].AsSpan();
        if (_modDivisor != 0)
        {
            return MatchModulo(value);
        }

        if (_headerValues.Length != 0)
        {
            return InList(value, _headerValues);
        }

        if (_headerPattern is not null)
        {
            try
            {
                return _headerPattern.IsMatch(value) ? CanaryMatch.Canary : CanaryMatch.FallThrough;
            }
            catch (RegexMatchTimeoutException)
            {
                return CanaryMatch.FallThrough;
            }
        }

        return AlwaysOrNever(value);
    }

    public CanaryMatch MatchCookie(HttpRequest request)
    {
        if (!RequestValues.TryGetCookie(request.Headers.Cookie, _cookie!, out var value))
        {
            return CanaryMatch.FallThrough;
        }

        return _modDivisor != 0 ? MatchModulo(value)
            : _cookieValues.Length != 0 ? InList(value, _cookieValues)
            : AlwaysOrNever(value);
    }

    public CanaryMatch MatchQuery(HttpRequest request)
    {
        if (!RequestValues.TryGetQuery(request.QueryString.Value, _query!, out var raw))
        {
            return CanaryMatch.FallThrough;
        }

        // Values are compared decoded; decoding allocates, so only when there is something to decode.
        var value = raw.ContainsAny('%', '+') ? Uri.UnescapeDataString(raw.ToString().Replace('+', ' ')).AsSpan() : raw;
        return _modDivisor != 0 ? MatchModulo(value)
            : _queryValues.Length != 0 ? InList(value, _queryValues)
            : AlwaysOrNever(value);
    }

    private static CanaryMatch AlwaysOrNever(ReadOnlySpan<char> value)
        => value.SequenceEqual(Always) ? CanaryMatch.Canary
            : value.SequenceEqual(Never) ? CanaryMatch.Main
            : CanaryMatch.FallThrough;

    private static CanaryMatch InList(ReadOnlySpan<char> value, string[] values)
    {
        foreach (var candidate in values)
        {
            if (value.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return CanaryMatch.Canary;
            }
        }

        return CanaryMatch.FallThrough;
    }

    /// <summary>Tengine's modulo split: (value mod divisor) compared with the remainder; non-numbers fall through.</summary>
    private CanaryMatch MatchModulo(ReadOnlySpan<char> value)
    {
        if (!ulong.TryParse(value.Trim(' '), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return CanaryMatch.FallThrough;
        }

        var modulo = (int)(number % (ulong)_modDivisor);
        var selected = _modOperator switch
        {
            CanaryModOperator.Equal => modulo == _modRemainder,
            CanaryModOperator.Greater => modulo > _modRemainder,
            CanaryModOperator.GreaterOrEqual => modulo >= _modRemainder,
            CanaryModOperator.Less => modulo < _modRemainder,
            CanaryModOperator.LessOrEqual => modulo <= _modRemainder,
            _ => false,
        };
        return selected ? CanaryMatch.Canary : CanaryMatch.FallThrough;
    }
}
