using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>metav1.Status: the body of a failed request and the object of a watch ERROR event.</summary>
public sealed class Status
{
    /// <summary>410 Gone on a watch or list means the requested resourceVersion was compacted away.</summary>
    public const int GoneCode = 410;

    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    /// <summary>"Success" or "Failure".</summary>
    [JsonPropertyName("status")]
    public string? Result { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    /// <summary>Machine-readable reason, e.g. "Expired", "Gone", "Unauthorized".</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    [JsonPropertyName("code")]
    public int? Code { get; set; }
}
