using Gatehouse.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>
/// Chooses between a route's main backend and its canaries, in ingress-nginx's order extended the
/// Tengine way over several canaries: every canary's header rule, then every cookie rule, then every
/// query rule (in the controller's canary order), then one weighted draw shared by all weight
/// canaries. The first rule that decides wins; "never" decides for the main backend.
/// Built once per route table generation; lock-free and allocation-free unless an action runs.
/// </summary>
internal sealed class CanarySelector
{
    private readonly CanaryRule[] _byHeader;
    private readonly CanaryRule[] _byCookie;
    private readonly CanaryRule[] _byQuery;
    private readonly CanaryRule[] _byWeight;
    private readonly int[] _cumulativeWeights;
    private readonly int _weightTotal;

    public CanarySelector(IReadOnlyList<CanaryConfig> canaries, Func<string, Backend> resolveBackend, string routePath = "/")
    {
        var rules = new CanaryRule[canaries.Count];
        for (var i = 0; i < rules.Length; i++)
        {
            rules[i] = new CanaryRule(canaries[i], resolveBackend(canaries[i].Backend), routePath);
        }

        Rules = rules;
        _byHeader = [.. rules.Where(r => r.HasHeader)];
        _byCookie = [.. rules.Where(r => r.HasCookie)];
        _byQuery = [.. rules.Where(r => r.HasQuery)];
        _byWeight = [.. rules.Where(r => r.Weight > 0)];

        // The controller makes weight canaries share one total; the largest is used should a
        // hand-written config disagree, so the weights never add up past it.
        _weightTotal = _byWeight.Length == 0 ? 0 : _byWeight.Max(r => Math.Max(r.Config.WeightTotal, 1));
        _cumulativeWeights = new int[_byWeight.Length];
        var sum = 0;
        for (var i = 0; i < _byWeight.Length; i++)
        {
            sum += _byWeight[i].Weight;
            _cumulativeWeights[i] = sum;
        }

        _weightTotal = Math.Max(_weightTotal, sum);
    }

    public IReadOnlyList<CanaryRule> Rules { get; }

    /// <summary>The canary that takes this request, or null for the main backend.</summary>
    public CanaryRule? Select(HttpRequest request, out bool byRule)
    {
        byRule = true;
        foreach (var rule in _byHeader)
        {
            switch (rule.MatchHeader(request))
            {
                case CanaryMatch.Canary: return rule;
                case CanaryMatch.Main: return null;
            }
        }

        foreach (var rule in _byCookie)
        {
            switch (rule.MatchCookie(request))
            {
                case CanaryMatch.Canary: return rule;
                case CanaryMatch.Main: return null;
            }
        }

        foreach (var rule in _byQuery)
        {
            switch (rule.MatchQuery(request))
            {
                case CanaryMatch.Canary: return rule;
                case CanaryMatch.Main: return null;
            }
        }

        byRule = false;
        if (_byWeight.Length == 0)
        {
            return null;
        }

        // One draw in [0, total): canary i owns [cumulative[i-1], cumulative[i]); the rest is main.
        var draw = Random.Shared.Next(_weightTotal);
        var cumulative = _cumulativeWeights;
        for (var i = 0; i < cumulative.Length; i++)
        {
            if (draw < cumulative[i])
            {
                return _byWeight[i];
            }
        }

        return null;
    }
}
