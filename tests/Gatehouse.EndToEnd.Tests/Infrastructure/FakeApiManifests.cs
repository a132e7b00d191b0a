using System.Text.Json.Nodes;
using Gatehouse.Controller.Sources;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>Stores manifests in the fake API server as "kubectl apply" would.</summary>
internal static class FakeApiManifests
{
    public static void Apply(FakeKubernetesApiServer api, string yaml)
    {
        foreach (var document in YamlJsonConverter.ConvertDocuments(yaml))
        {
            var item = (JsonObject)document;
            var kind = (string)item["kind"]!;
            var apiVersion = (string)item["apiVersion"]!;
            var prefix = apiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{apiVersion}" : $"/api/{apiVersion}";
            var plural = kind.ToLowerInvariant() is var lower && lower.EndsWith('s') ? lower + "es" : lower + "s";
            api.Store.Upsert($"{prefix}/{plural}", item);
        }
    }
}
