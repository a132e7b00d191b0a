using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// A list response (IngressList, ServiceList, …). The wire shape is the same for every kind, so one
/// generic type serves all; <see cref="KubernetesJsonContext"/> registers each closed type by its Kubernetes name.
/// </summary>
public sealed class KubernetesList<T>
    where T : KubernetesObject
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("metadata")]
    public ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public List<T> Items { get; set; } = [];
}
