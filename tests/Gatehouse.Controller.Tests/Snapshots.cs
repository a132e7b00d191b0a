using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Tests;

/// <summary>Builds snapshots from YAML text, the way people write the objects.</summary>
internal static class Snapshots
{
    public static ResourceSnapshot FromYaml(params string[] documents)
        => FromObjects(documents.SelectMany(Parse));

    public static IEnumerable<KubernetesObject> Parse(string yaml)
    {
        var result = ManifestParser.Parse("test.yaml", yaml);
        Assert.Empty(result.Problems);
        return result.Objects;
    }

    public static ResourceSnapshot FromObjects(IEnumerable<KubernetesObject> objects)
    {
        var snapshot = ResourceSnapshot.Empty;
        foreach (var obj in objects)
        {
            var key = ResourceSnapshot.Key(obj.Metadata.Namespace, obj.Metadata.Name!);
            snapshot = obj switch
            {
                Ingress i => snapshot with { Ingresses = snapshot.Ingresses.SetItem(key, i) },
                IngressClass c => snapshot with { IngressClasses = snapshot.IngressClasses.SetItem(key, c) },
                Service s => snapshot with { Services = snapshot.Services.SetItem(key, s) },
                EndpointSlice e => snapshot with { EndpointSlices = snapshot.EndpointSlices.SetItem(key, e) },
                Secret s => snapshot with { Secrets = snapshot.Secrets.SetItem(key, s) },
                _ => snapshot,
            };
        }

        return snapshot;
    }

    public static ImmutableSortedDictionary<string, T> Dict<T>(params (string Key, T Value)[] items)
        => items.ToImmutableSortedDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
}
