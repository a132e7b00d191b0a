using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>Fields every top-level Kubernetes object carries (TypeMeta + ObjectMeta).</summary>
public abstract class KubernetesObject
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("metadata")]
    public ObjectMeta Metadata { get; set; } = new();
}
