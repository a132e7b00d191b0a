using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Sources;

/// <summary>
/// Every object a source knows about at one moment, keyed by "namespace/name" (ordinal, sorted so
/// iteration order is deterministic). Sources never mutate a snapshot after publishing it; a change
/// produces a new one. The model objects inside are treated as read-only by convention.
/// </summary>
public sealed record ResourceSnapshot
{
    public static ResourceSnapshot Empty { get; } = new();

    public ImmutableSortedDictionary<string, Ingress> Ingresses { get; init; } = Create<Ingress>();

    /// <summary>IngressClasses are cluster-scoped; keyed by name alone.</summary>
    public ImmutableSortedDictionary<string, IngressClass> IngressClasses { get; init; } = Create<IngressClass>();

    public ImmutableSortedDictionary<string, Service> Services { get; init; } = Create<Service>();

    public ImmutableSortedDictionary<string, EndpointSlice> EndpointSlices { get; init; } = Create<EndpointSlice>();

    public ImmutableSortedDictionary<string, Secret> Secrets { get; init; } = Create<Secret>();

    /// <summary>IngressCheckSum resources (see Checksums); empty unless --use-ingress-checksum or the folder has some.</summary>
    public ImmutableSortedDictionary<string, IngressCheckSum> IngressCheckSums { get; init; } = Create<IngressCheckSum>();

    /// <summary>SecretCheckSum resources; empty unless --use-secret-checksum or the folder has some.</summary>
    public ImmutableSortedDictionary<string, SecretCheckSum> SecretCheckSums { get; init; } = Create<SecretCheckSum>();

    /// <summary>Monotonic per source; lets observers tell snapshots apart without comparing contents.</summary>
    public long Version { get; init; }

    public static string Key(string? @namespace, string name)
        => string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";

    private static ImmutableSortedDictionary<string, T> Create<T>()
        => ImmutableSortedDictionary.Create<string, T>(StringComparer.Ordinal);
}
