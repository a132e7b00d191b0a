using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Controller.Sources;
using Gatehouse.Tests.EndToEnd.Infrastructure;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// A simulated StatefulSet of three pods (controller + proxy each, own channel file, ordinals from
/// --pod-name gh-0..gh-2) against one fake API server: raising the Ingress's index-id moves a new
/// revision across the pods, and a pod whose controller restarts mid-rollout keeps its old revision.
/// </summary>
public sealed class StagedRolloutTests : IAsyncLifetime
{
    private const string Host = "shop.example.com";
    private const string Prefix = "nginx.ingress.kubernetes.io/";

    private readonly GatehouseStack[] _pods = [GatehouseStack.Create(), GatehouseStack.Create(), GatehouseStack.Create()];
    private FakeKubernetesApiServer _api = null!;
    private string _kubeconfig = "";

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApiServer.StartAsync();
        _api.Token = "e2e-token";
        await _pods[0].StartEchoAsync("blue", "green");
        Apply(Manifests.IngressClass);
        Apply(Manifests.Service("svc-blue", _pods[0].EchoPort("blue")));
        Apply(Manifests.Service("svc-green", _pods[0].EchoPort("green")));
        Apply(Shop("r1", "svc-blue", indexId: -1));

        _kubeconfig = Path.Combine(_pods[0].Directory, "kubeconfig");
        await File.WriteAllTextAsync(_kubeconfig, $"""
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters:
            - name: fake
              cluster:
                server: {_api.BaseAddress}
            users:
            - name: controller
              user:
                token: e2e-token
            contexts:
            - name: fake
              context:
                cluster: fake
                user: controller
            """);
        for (var ordinal = 0; ordinal < _pods.Length; ordinal++)
        {
            await StartControllerAsync(ordinal);
            await _pods[ordinal].StartProxyAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var pod in _pods)
        {
            await pod.DisposeAsync();
        }

        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Raising_the_index_id_moves_the_revision_across_the_pods_and_a_restarted_pod_keeps_its_own()
    {
        await ExpectAsync("r1", -1, ["blue", "blue", "blue"]);

        // The new revision is stored with index-id 0: no pod takes it yet.
        Apply(Shop("r2", "svc-green", indexId: 0));
        await ExpectAsync("r2", 0, ["blue", "blue", "blue"]);

        Apply(Shop("r2", "svc-green", indexId: 1));
        await ExpectAsync("r2", 1, ["green", "blue", "blue"]);

        // Pod 2's controller crashes and comes back mid-rollout: its last applied copy is in its
        // channel file, so it neither jumps ahead to r2 nor drops the Ingress.
        await _pods[2].KillControllerAsync();
        await StartControllerAsync(2);
        await ExpectAsync("r2", 1, ["green", "blue", "blue"]);
        Assert.Contains("Restored the applied copies of 1 Ingress", _pods[2].Controller!.Output, StringComparison.Ordinal);

        Apply(Shop("r2", "svc-green", indexId: 2));
        await ExpectAsync("r2", 2, ["green", "green", "blue"]);

        Apply(Shop("r2", "svc-green", indexId: 3));
        await ExpectAsync("r2", 3, ["green", "green", "green"]);
    }

    private Task StartControllerAsync(int ordinal)
        => _pods[ordinal].StartControllerAsync(source: ["--kubeconfig", _kubeconfig, "--watch-namespace", "default", "--pod-name", $"gh-{ordinal}"]);

    /// <summary>
    /// Waits until every controller has seen <paramref name="desired"/> at <paramref name="indexId"/> and each proxy answers from the
    /// expected backend; a pod expected to hold must report it held (served r1) on /rollout.
    /// </summary>
    private async Task ExpectAsync(string desired, int indexId, string[] backends)
    {
        for (var ordinal = 0; ordinal < _pods.Length; ordinal++)
        {
            var pod = _pods[ordinal];
            var expectedRevision = backends[ordinal] == "blue" ? "r1" : "r2";
            var expectedState = expectedRevision == desired ? "applied" : "held";
            JsonObject? reported = null;
            await pod.WaitUntilAsync(async () =>
            {
                reported = await RolloutEntryAsync(pod);
                return reported is not null && (string?)reported["desiredRevision"] == desired && (int?)reported["indexId"] == indexId;
            }, $"gh-{ordinal} to see revision {desired} at index-id {indexId}", pod.Controller);
            Assert.Equal(expectedRevision, (string?)reported!["revision"]);
            Assert.Equal(expectedState, (string?)reported["state"]);

            // The gate has decided; the proxy follows within its poll interval when the config changed.
            (HttpStatusCode Status, string? Backend, string Body) response = default;
            await pod.WaitUntilAsync(async () =>
            {
                response = await pod.SendAsync(Host, "/");
                return response.Backend == backends[ordinal];
            }, $"gh-{ordinal} to answer from {backends[ordinal]}", pod.Proxy);
            Assert.Equal(HttpStatusCode.OK, response.Status);
        }

        // Held pods must still be on the old backend after everyone else moved (no late flip).
        for (var ordinal = 0; ordinal < _pods.Length; ordinal++)
        {
            Assert.Equal(backends[ordinal], (await _pods[ordinal].SendAsync(Host, "/")).Backend);
        }
    }

    private static async Task<JsonObject?> RolloutEntryAsync(GatehouseStack pod)
    {
        var body = await pod.Client.GetStringAsync($"http://127.0.0.1:{pod.ControllerAdminPort}/rollout");
        var objects = JsonNode.Parse(body)!["objects"]!.AsArray();
        return objects.OfType<JsonObject>().SingleOrDefault(o => (string?)o["kind"] == "Ingress" && (string?)o["name"] == "default/shop-1");
    }

    private static string Shop(string revision, string service, int indexId) => $"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: shop-1
          namespace: default
          annotations:
            {Prefix}ingress-rollout: "true"
            {Prefix}ingress-rollout-current-revision: "r1"
            {Prefix}ingress-rollout-update-revision: "{revision}"
            {Prefix}ingress-rollout-index-id: "{indexId}"
        spec:
          ingressClassName: gatehouse
          rules:
            - host: {Host}
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: {service}
                        port:
                          name: http
        """;

    private void Apply(string yaml) => FakeApiManifests.Apply(_api, yaml);
}
