using Gatehouse.Controller.Sources;

namespace Gatehouse.Controller.Translation;

/// <summary>The Ingresses of a snapshot this controller serves (its class rules; see <see cref="IngressClassFilter"/>), by key.</summary>
public static class ServedIngresses
{
    public static IReadOnlySet<string> Of(ResourceSnapshot snapshot, ControllerOptions options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var filter = new IngressClassFilter(snapshot, options);
        return snapshot.Ingresses.Where(pair => filter.IsServed(pair.Value)).Select(pair => pair.Key).ToHashSet(StringComparer.Ordinal);
    }
}
