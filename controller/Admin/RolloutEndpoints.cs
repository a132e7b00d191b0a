using System.Text.Json.Serialization;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Rollout;

namespace Gatehouse.Controller.Admin;

/// <summary>GET /rollout: what this pod serves of each object under staged rollout.</summary>
public static class RolloutEndpoints
{
    public static IEndpointRouteBuilder MapRolloutEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/rollout", (SnapshotGates gates, ControllerOptions options) =>
        {
            var body = new RolloutResponse(
                options.PodName,
                gates.Rollout.Ordinal,
                [.. gates.Rollout.Status.Select(s => new RolloutObjectResponse(
                    s.Kind, s.Name, s.ServedRevision, s.State == RolloutState.Held ? "held" : "applied", s.DesiredRevision, s.IndexId))]);
            return Results.Json(body, RolloutJsonContext.Default.RolloutResponse);
        });
        return endpoints;
    }
}

/// <summary>Body of GET /rollout.</summary>
public sealed record RolloutResponse(
    [property: JsonPropertyName("pod")] string Pod,
    [property: JsonPropertyName("ordinal")] int Ordinal,
    [property: JsonPropertyName("objects")] IReadOnlyList<RolloutObjectResponse> Objects);

public sealed record RolloutObjectResponse(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("revision")] string Revision,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("desiredRevision")] string DesiredRevision,
    [property: JsonPropertyName("indexId")] int IndexId);

[JsonSerializable(typeof(RolloutResponse))]
internal sealed partial class RolloutJsonContext : JsonSerializerContext;
