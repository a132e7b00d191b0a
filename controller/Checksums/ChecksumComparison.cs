using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Checksums;

/// <summary>
/// The cluster's ids of one kind against its checksum CRs. <see cref="Newest"/> (by spec.timestamp, then
/// creation time) is what the difference is reported against when none of the CRs matches.
/// </summary>
public sealed record ChecksumComparison(
    string Kind,
    string Computed,
    int IdCount,
    bool Consistent,
    CheckSumResource? Newest,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected)
{
    /// <param name="sortedIds">The cluster's ids in ordinal order.</param>
    public static ChecksumComparison Compare<TResource>(string kind, IReadOnlyList<string> sortedIds, string computed, IEnumerable<TResource> resources)
        where TResource : CheckSumResource
    {
        ArgumentNullException.ThrowIfNull(resources);
        var all = resources.ToList();
        if (all.Count == 0 || all.Any(r => string.Equals(r.Spec?.Checksum?.Trim(), computed, StringComparison.OrdinalIgnoreCase)))
        {
            return new ChecksumComparison(kind, computed, sortedIds.Count, true, null, [], []);
        }

        var newest = all
            .OrderByDescending(Timestamp)
            .ThenBy(r => $"{r.Metadata.Namespace}/{r.Metadata.Name}", StringComparer.Ordinal)
            .First();
        var expected = (newest.Spec?.Ids ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
        var actual = sortedIds.ToHashSet(StringComparer.Ordinal);
        var missing = ChecksumCalculator.Sort(expected.Where(id => !actual.Contains(id)));
        var unexpected = sortedIds.Where(id => !expected.Contains(id)).ToArray();
        return new ChecksumComparison(kind, computed, sortedIds.Count, false, newest, missing, unexpected);
    }

    /// <summary>One line for logs and Events; long id lists are cut short (the CR and the command give them whole).</summary>
    public string Describe()
    {
        var expected = Newest?.Spec?.Checksum ?? "(none)";
        var name = Newest is null ? "" : $"{Newest.Kind ?? "CheckSum"} {Newest.Metadata.Namespace}/{Newest.Metadata.Name}";
        return $"{Kind} checksum {Computed} over {IdCount} ids does not match {name} (checksum {expected}): "
            + $"{Missing.Count} ids missing from the cluster [{Shorten(Missing)}], {Unexpected.Count} unexpected [{Shorten(Unexpected)}]";
    }

    private static DateTimeOffset Timestamp(CheckSumResource resource)
        => DateTimeOffset.TryParse(resource.Spec?.Timestamp, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var stamp)
            ? stamp
            : resource.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue;

    private static string Shorten(IReadOnlyList<string> ids)
        => ids.Count <= 10 ? string.Join(",", ids) : string.Join(",", ids.Take(10)) + $",… ({ids.Count - 10} more)";
}
