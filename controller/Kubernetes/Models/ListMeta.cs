using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>metav1.ListMeta: where a list stands in the resource's history and how to fetch its next page.</summary>
public sealed class ListMeta
{
    [JsonPropertyName("resourceVersion")]
    public string? ResourceVersion { get; set; }

    /// <summary>Opaque token for the next page; absent or empty on the last page.</summary>
    [JsonPropertyName("continue")]
    public string? Continue { get; set; }

    [JsonPropertyName("remainingItemCount")]
    public long? RemainingItemCount { get; set; }
}
