using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// Match priority of routes within one host, which is also their order in the config:
/// 1. longer path first — the most specific route must be tried before any prefix that covers it;
/// 2. on equal length, Exact before Prefix/ImplementationSpecific — "/a" Exact is more specific than "/a" Prefix;
/// 3. then ordinal path, and finally Prefix before ImplementationSpecific, only so the order is total
///    and equal inputs always give byte-identical configs.
/// </summary>
internal sealed class RouteOrder : IComparer<RouteConfig>
{
    public static RouteOrder Instance { get; } = new();

    public int Compare(RouteConfig? x, RouteConfig? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? 1 : -1;
        }

        var byLength = y.Path.Length.CompareTo(x.Path.Length);
        if (byLength != 0)
        {
            return byLength;
        }

        var byExact = (x.Match != PathMatch.Exact).CompareTo(y.Match != PathMatch.Exact);
        if (byExact != 0)
        {
            return byExact;
        }

        var byPath = string.CompareOrdinal(x.Path, y.Path);
        return byPath != 0 ? byPath : x.Match.CompareTo(y.Match);
    }
}
