using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Gatehouse.Telemetry;

/// <summary>
/// Identifies one label set of an instrument: the measurement's tags sorted by key. Up to
/// <see cref="InlineCapacity"/> tags are held inline, so looking up a label set already seen
/// allocates nothing; larger sets spill to an array.
/// </summary>
internal readonly struct TagSetKey : IEquatable<TagSetKey>
{
    public const int InlineCapacity = 4;

    private readonly InlineTags _inline;
    private readonly KeyValuePair<string, object?>[]? _spilled;
    private readonly int _count;
    private readonly int _hashCode;

    public TagSetKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        _count = tags.Length;
        var buffer = default(InlineTags);
        scoped Span<KeyValuePair<string, object?>> sorted;
        if (tags.Length <= InlineCapacity)
        {
            sorted = ((Span<KeyValuePair<string, object?>>)buffer)[..tags.Length];
        }
        else
        {
            _spilled = new KeyValuePair<string, object?>[tags.Length];
            sorted = _spilled;
        }

        tags.CopyTo(sorted);

        // Callers may pass the same tags in any order; insertion sort is cheapest for a handful.
        for (var i = 1; i < sorted.Length; i++)
        {
            var item = sorted[i];
            var j = i - 1;
            while (j >= 0 && string.CompareOrdinal(sorted[j].Key, item.Key) > 0)
            {
                sorted[j + 1] = sorted[j];
                j--;
            }

            sorted[j + 1] = item;
        }

        var hash = default(HashCode);
        foreach (var tag in sorted)
        {
            hash.Add(tag.Key, StringComparer.Ordinal);
            hash.Add(tag.Value);
        }

        _hashCode = hash.ToHashCode();
        _inline = buffer;
    }

    /// <summary>The tags, sorted by key (ordinal).</summary>
    [UnscopedRef]
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags
        => _spilled ?? ((ReadOnlySpan<KeyValuePair<string, object?>>)_inline)[.._count];

    public bool Equals(TagSetKey other)
    {
        if (_hashCode != other._hashCode || _count != other._count)
        {
            return false;
        }

        var mine = Tags;
        var theirs = other.Tags;
        for (var i = 0; i < mine.Length; i++)
        {
            if (!string.Equals(mine[i].Key, theirs[i].Key, StringComparison.Ordinal)
                || !Equals(mine[i].Value, theirs[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is TagSetKey other && Equals(other);

    public override int GetHashCode() => _hashCode;

    [InlineArray(InlineCapacity)]
    private struct InlineTags
    {
        private KeyValuePair<string, object?> _element;
    }
}
