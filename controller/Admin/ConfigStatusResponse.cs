using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Admin;

/// <summary>Body of GET /config.</summary>
public sealed record ConfigStatusResponse(
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("synced")] bool Synced,
    [property: JsonPropertyName("lastPublishedAt")] DateTimeOffset? LastPublishedAt,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("hosts")] int Hosts,
    [property: JsonPropertyName("routes")] int Routes,
    [property: JsonPropertyName("backends")] int Backends,
    [property: JsonPropertyName("rejections")] IReadOnlyList<RejectionResponse> Rejections);

public sealed record RejectionResponse(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("code")] string Code);

[JsonSerializable(typeof(ConfigStatusResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
