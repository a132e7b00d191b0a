using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>The watch event types the API server sends.</summary>
public static class WatchEventType
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";
    public const string Error = "ERROR";
}

/// <summary>
/// One decoded line of a watch stream. <see cref="Object"/> is set for ADDED, MODIFIED, DELETED and
/// BOOKMARK (a bookmark carries only metadata.resourceVersion); <see cref="Status"/> for ERROR.
/// </summary>
public sealed class WatchEvent<T>
    where T : KubernetesObject
{
    public required string Type { get; init; }

    public T? Object { get; init; }

    public Status? Status { get; init; }
}

/// <summary>
/// A watch line as it arrives: the object stays raw until the type says whether it is a
/// <typeparamref name="T"/> or a <see cref="Models.Status"/> (their "status" fields clash).
/// </summary>
public sealed class RawWatchEvent
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("object")]
    public JsonElement Object { get; set; }
}
