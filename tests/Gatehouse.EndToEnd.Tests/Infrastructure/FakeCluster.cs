using System.Text.Json.Nodes;
using Gatehouse.Controller.Sources;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>Manifests into the fake API server, and kubeconfigs pointing at it, for controllers started as processes.</summary>
internal static class FakeCluster
{
    /// <summary>Stores every document of a manifest, as "kubectl apply" would.</summary>
    public static void Apply(this FakeKubernetesApiServer api, string yaml)
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

    /// <summary>Writes a kubeconfig for this server with a bearer token; returns its path.</summary>
    public static string WriteKubeconfig(this FakeKubernetesApiServer api, string directory, string fileName, string token)
    {
        var path = Path.Combine(directory, fileName);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters:
            - name: fake
              cluster:
                server: {api.BaseAddress}
            users:
            - name: controller
              user:
                token: {token}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: controller
            """);
        return path;
    }

    /// <summary>The load balancer addresses in an Ingress's stored status, comma-separated ("" when none).</summary>
    public static string StatusAddresses(this FakeKubernetesApiServer api, string @namespace, string name)
        => api.Store.Get("/apis/networking.k8s.io/v1/ingresses", @namespace, name)?["status"]?["loadBalancer"]?["ingress"] is JsonArray entries
            ? string.Join(",", entries.Select(e => (string?)e?["ip"] ?? (string?)e?["hostname"]))
            : "";

    public static string? LeaseHolder(this FakeKubernetesApiServer api, string @namespace, string name)
        => (string?)api.Store.Get("/apis/coordination.k8s.io/v1/leases", @namespace, name)?["spec"]?["holderIdentity"];

    /// <summary>Stored core/v1 Events about one object.</summary>
    public static IReadOnlyList<JsonObject> EventsAbout(this FakeKubernetesApiServer api, string @namespace, string name)
        => [.. api.Store.List("/api/v1/events", @namespace, new FakeSelectors(null, null)).Items
            .Where(e => (string?)e["involvedObject"]?["name"] == name)];
}
