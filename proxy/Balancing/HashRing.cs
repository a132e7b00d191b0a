namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// A ketama-style consistent hash ring: every endpoint owns many points on a 64-bit circle and a key
/// goes to the first point at or after its hash. Adding or removing one endpoint of n moves only
/// about 1/n of the keys. Built once per backend generation; lookups are a binary search.
/// </summary>
internal sealed class HashRing
{
    /// <summary>Points per endpoint: enough to keep the spread within a few percent for small n.</summary>
    public const int PointsPerEndpoint = 160;

    private readonly ulong[] _points;
    private readonly int[] _owners;

    /// <param name="endpointKeys">A stable identity per endpoint ("address:port"), so a point depends only on its endpoint.</param>
    public HashRing(IReadOnlyList<string> endpointKeys)
    {
        var points = new (ulong Point, int Owner)[endpointKeys.Count * PointsPerEndpoint];
        var n = 0;
        for (var e = 0; e < endpointKeys.Count; e++)
        {
            for (var replica = 0; replica < PointsPerEndpoint; replica++)
            {
                var hash = StableHash.Start();
                hash = StableHash.Add(hash, endpointKeys[e]);
                hash = StableHash.Add(hash, '#');
                hash = StableHash.Add(hash, (char)replica);
                points[n++] = (StableHash.Finish(hash), e);
            }
        }

        Array.Sort(points, static (a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Owner.CompareTo(b.Owner));
        _points = new ulong[points.Length];
        _owners = new int[points.Length];
        for (var i = 0; i < points.Length; i++)
        {
            _points[i] = points[i].Point;
            _owners[i] = points[i].Owner;
        }
    }

    /// <summary>The endpoint index owning <paramref name="keyHash"/>; the ring must not be empty.</summary>
    public int Lookup(ulong keyHash)
    {
        var index = Array.BinarySearch(_points, keyHash);
        if (index < 0)
        {
            index = ~index;
        }

        return _owners[index == _points.Length ? 0 : index];
    }
}
