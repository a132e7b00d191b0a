using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// core/v1 Event, the kind `kubectl describe` shows under "Events:". Repeats of one event are
/// aggregated into <see cref="Count"/> and <see cref="LastTimestamp"/>, as client-go's recorder does.
/// </summary>
public sealed class Event : KubernetesObject
{
    [JsonPropertyName("involvedObject")]
    public ObjectReference? InvolvedObject { get; set; }

    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    /// <summary>"Normal" or "Warning".</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("count")]
    public int? Count { get; set; }

    [JsonPropertyName("firstTimestamp")]
    [JsonConverter(typeof(TimeConverter))]
    public DateTimeOffset? FirstTimestamp { get; set; }

    [JsonPropertyName("lastTimestamp")]
    [JsonConverter(typeof(TimeConverter))]
    public DateTimeOffset? LastTimestamp { get; set; }

    [JsonPropertyName("source")]
    public EventSource? Source { get; set; }

    [JsonPropertyName("reportingComponent")]
    public string? ReportingComponent { get; set; }

    [JsonPropertyName("reportingInstance")]
    public string? ReportingInstance { get; set; }
}

public sealed class ObjectReference
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("uid")]
    public string? Uid { get; set; }
}

public sealed class EventSource
{
    [JsonPropertyName("component")]
    public string? Component { get; set; }

    [JsonPropertyName("host")]
    public string? Host { get; set; }
}
