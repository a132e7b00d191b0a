using System.Collections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// The connection is its own feature collection, as Kestrel's transport connections are: the features
/// it implements answer from a type test, and the few others a connection gathers (the byte counter,
/// TLS's) sit in a handful of slots. A <see cref="FeatureCollection"/> cost a dictionary per connection
/// (about 550 bytes) and a hash lookup for every per-request query that reached it.
/// </summary>
internal sealed partial class EpollConnection : IFeatureCollection
{
    private const int Slots = 4;

    private readonly Type?[] _slotTypes = new Type?[Slots];
    private readonly object?[] _slotValues = new object?[Slots];
    private Dictionary<Type, object?>? _more;
    private int _revision;

    public override IFeatureCollection Features => this;

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _revision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            return TryGetSet(key, out var value) ? value : Own(key);
        }

        set
        {
            ArgumentNullException.ThrowIfNull(key);
            SetFeature(key, value);
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>()
        where TFeature : default
    {
        if (TryGetSet(typeof(TFeature), out var value))
        {
            return (TFeature?)value;
        }

        return IsOwn(typeof(TFeature)) ? (TFeature)(object)this : default;
    }

    void IFeatureCollection.Set<TFeature>(TFeature? instance)
        where TFeature : default
        => SetFeature(typeof(TFeature), instance);

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        var shadowed = new HashSet<Type>();
        for (var i = 0; i < Slots; i++)
        {
            if (_slotTypes[i] is { } type)
            {
                shadowed.Add(type);
                if (_slotValues[i] is { } value)
                {
                    yield return new(type, value);
                }
            }
        }

        if (_more is not null)
        {
            foreach (var (type, value) in _more)
            {
                shadowed.Add(type);
                if (value is not null)
                {
                    yield return new(type, value);
                }
            }
        }

        foreach (var type in OwnFeatures)
        {
            if (!shadowed.Contains(type))
            {
                yield return new(type, this);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private static readonly Type[] OwnFeatures =
    [
        typeof(IConnectionIdFeature), typeof(IConnectionTransportFeature), typeof(IConnectionItemsFeature),
        typeof(IConnectionLifetimeFeature), typeof(IConnectionEndPointFeature), typeof(IMemoryPoolFeature),
    ];

    // Reference comparisons the JIT folds to a few compares: queried per request, often for a feature nobody set.
    private static bool IsOwn(Type type)
        => type == typeof(IConnectionIdFeature) || type == typeof(IConnectionTransportFeature) || type == typeof(IConnectionItemsFeature)
            || type == typeof(IConnectionLifetimeFeature) || type == typeof(IConnectionEndPointFeature) || type == typeof(IMemoryPoolFeature);

    private object? Own(Type type) => IsOwn(type) ? this : null;

    /// <summary>True when the feature was set on the connection (a null then means removed).</summary>
    private bool TryGetSet(Type type, out object? value)
    {
        for (var i = 0; i < Slots; i++)
        {
            if (ReferenceEquals(_slotTypes[i], type))
            {
                value = _slotValues[i];
                return true;
            }
        }

        if (_more is not null && _more.TryGetValue(type, out var more))
        {
            value = more;
            return true;
        }

        value = null;
        return false;
    }

    private void SetFeature(Type type, object? value)
    {
        _revision++;
        for (var i = 0; i < Slots; i++)
        {
            if (ReferenceEquals(_slotTypes[i], type))
            {
                // A null stays as set: it hides one of the connection's own features, as Kestrel's does.
                _slotValues[i] = value;
                return;
            }
        }

        if (_more is not null && _more.ContainsKey(type))
        {
            _more[type] = value;
            return;
        }

        for (var i = 0; i < Slots; i++)
        {
            if (_slotTypes[i] is null)
            {
                _slotTypes[i] = type;
                _slotValues[i] = value;
                return;
            }
        }

        (_more ??= [])[type] = value;
    }
}
