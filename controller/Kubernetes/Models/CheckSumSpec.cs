using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// Spec of the IngressCheckSum and SecretCheckSum custom resources, field for field as Tengine-Ingress
/// defines it so CRs written by existing tooling keep working: <see cref="Ids"/> is the comma-joined
/// sorted id list and <see cref="Checksum"/> its lower-case hex MD5.
/// </summary>
public sealed class CheckSumSpec
{
    [JsonPropertyName("timestamp")]
    public string? Timestamp { get; set; }

    [JsonPropertyName("checksum")]
    public string? Checksum { get; set; }

    [JsonPropertyName("ids")]
    public string? Ids { get; set; }
}
