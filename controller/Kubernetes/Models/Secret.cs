using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>core/v1 Secret. <see cref="Data"/> values stay base64 as on the wire; decode on use and never log them.</summary>
public sealed class Secret : KubernetesObject
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("data")]
    public Dictionary<string, string>? Data { get; set; }
}
