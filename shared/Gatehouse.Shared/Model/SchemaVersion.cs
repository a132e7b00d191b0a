namespace Gatehouse.Model;

/// <summary>
/// Version of the config blob's schema. Readers accept any minor of their own major:
/// minors only add optional keys, a new major means an incompatible layout.
/// </summary>
public readonly record struct SchemaVersion(ushort Major, ushort Minor) : IComparable<SchemaVersion>
{
    /// <summary>
    /// The schema this build writes by default (1.1 added published_by and config_hash; 1.2 canaries,
    /// upstream policies, TLS policies, dual certificates and applied rollout objects).
    /// </summary>
    public static SchemaVersion Current { get; } = new(1, 2);

    public int CompareTo(SchemaVersion other)
        => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public bool IsReadableBy(SchemaVersion reader) => Major == reader.Major;

    public override string ToString() => $"{Major}.{Minor}";

    public static SchemaVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dot = text.IndexOf('.');
        if (dot <= 0
            || !ushort.TryParse(text.AsSpan(0, dot), out var major)
            || !ushort.TryParse(text.AsSpan(dot + 1), out var minor))
        {
            throw new FormatException($"Schema version '{text}' is not of the form MAJOR.MINOR.");
        }

        return new SchemaVersion(major, minor);
    }
}
