namespace Gatehouse.Controller.Sources;

/// <summary>
/// Which kinds a <see cref="KubernetesResourceSource"/> watches. With --ingress-storage-kubeconfig one
/// source reads the storage kinds from the storage cluster and another the runtime kinds from the
/// cluster the pods run in; the loop merges both.
/// </summary>
[Flags]
public enum ResourceKinds
{
    None = 0,
    Ingresses = 1,
    IngressClasses = 2,
    Services = 4,
    EndpointSlices = 8,
    Secrets = 16,

    /// <summary>What users write and the storage cluster holds.</summary>
    Storage = Ingresses | IngressClasses | Secrets,

    /// <summary>What follows the running workloads.</summary>
    Runtime = Services | EndpointSlices,

    All = Storage | Runtime,
}
