using System.Collections.Immutable;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Rollout;
using Gatehouse.Controller.Sources;
using Gatehouse.Model;

namespace Gatehouse.Tests;

public sealed class RolloutGateTests
{
    private const string Prefix = "nginx.ingress.kubernetes.io/";

    [Theory]
    [InlineData("gatehouse-0", 0)]
    [InlineData("gatehouse-12", 12)]
    [InlineData("my-gate-house-3", 3)]
    [InlineData("gatehouse", -1)]
    [InlineData("gatehouse-", -1)]
    [InlineData("gatehouse-a1", -1)]
    [InlineData("gatehouse-+1", -1)]
    [InlineData("", -1)]
    public void Ordinal_is_the_integer_after_the_last_dash(string name, int expected)
        => Assert.Equal(expected, PodOrdinal.Parse(name));

    [Theory]
    [InlineData("gh-0", 0, false)]
    [InlineData("gh-0", 1, true)]
    [InlineData("gh-1", 1, false)]
    [InlineData("gh-1", 2, true)]
    [InlineData("gh-2", 2, false)]
    [InlineData("gh-2", 3, true)]
    [InlineData("gh-2", -1, true)]
    [InlineData("standalone", 0, true)]
    public void A_changed_object_reaches_ordinals_below_the_index_id(string pod, int indexId, bool applied)
    {
        var gate = Gate(pod);
        Serve(gate, Web("v1", "blue"));
        var served = Serve(gate, Web("v2", "green", rollout: true, indexId: indexId));

        Assert.Equal(applied ? "green" : "blue", BackendOf(served));
        var status = Assert.Single(gate.Status);
        Assert.Equal(applied ? RolloutState.Applied : RolloutState.Held, status.State);
        Assert.Equal(applied ? "v2" : "v1", status.ServedRevision);
        Assert.Equal("v2", status.DesiredRevision);
    }

    [Fact]
    public void Raising_the_index_id_moves_the_change_across_the_pods()
    {
        var pods = new[] { Gate("gh-0"), Gate("gh-1"), Gate("gh-2") };
        foreach (var pod in pods)
        {
            Serve(pod, Web("v1", "blue"));
        }

        string[] Step(int indexId) => [.. pods.Select(p => BackendOf(Serve(p, Web("v2", "green", rollout: true, indexId: indexId))))];

        Assert.Equal(["blue", "blue", "blue"], Step(0));
        Assert.Equal(["green", "blue", "blue"], Step(1));
        Assert.Equal(["green", "green", "blue"], Step(2));
        Assert.Equal(["green", "green", "green"], Step(3));
    }

    [Fact]
    public void Turning_rollout_off_or_setting_index_id_minus_one_finishes_it()
    {
        var off = Gate("gh-2");
        var finished = Gate("gh-2");
        Serve(off, Web("v1", "blue"));
        Serve(finished, Web("v1", "blue"));
        Assert.Equal("blue", BackendOf(Serve(off, Web("v2", "green", rollout: true, indexId: 1))));
        Assert.Equal("blue", BackendOf(Serve(finished, Web("v2", "green", rollout: true, indexId: 1))));

        Assert.Equal("green", BackendOf(Serve(off, Web("v2", "green", rollout: false, indexId: 1))));
        Assert.Equal("green", BackendOf(Serve(finished, Web("v2", "green", rollout: true, indexId: -1))));
        Assert.Empty(off.Status); // no longer gated: not reported, not persisted
        Assert.Empty(off.AppliedObjects);
        Assert.Equal(RolloutState.Applied, Assert.Single(finished.Status).State);
    }

    [Fact]
    public void Restoring_the_old_spec_rolls_back_the_pods_that_had_applied_it()
    {
        var first = Gate("gh-0");
        var last = Gate("gh-2");
        Serve(first, Web("v1", "blue"));
        Serve(last, Web("v1", "blue"));
        Assert.Equal("green", BackendOf(Serve(first, Web("v2", "green", rollout: true, indexId: 1))));
        Assert.Equal("blue", BackendOf(Serve(last, Web("v2", "green", rollout: true, indexId: 1))));

        // The operator puts v1 back, still inside the rollout: pod 0 is admitted and goes back; pod 2 serves v1 anyway.
        Assert.Equal("blue", BackendOf(Serve(first, Web("v1", "blue", rollout: true, indexId: 1))));
        Assert.Equal("blue", BackendOf(Serve(last, Web("v1", "blue", rollout: true, indexId: 1))));
        Assert.All(first.Status.Concat(last.Status), s => Assert.Equal(RolloutState.Applied, s.State));
    }

    [Fact]
    public void An_unchanged_revision_applies_even_outside_the_window()
    {
        var gate = Gate("gh-2");
        Serve(gate, Web("v1", "blue", rollout: true, indexId: 0));

        // Same revision, edited annotation: nothing to hold back.
        var served = Serve(gate, Web("v1", "blue", rollout: true, indexId: 1, extra: "x"));

        Assert.Equal("x", served.Ingresses["default/web-1"].Metadata.Annotations!["extra"]);
        Assert.Equal(RolloutState.Applied, Assert.Single(gate.Status).State);
    }

    [Fact]
    public void Deletions_are_not_gated()
    {
        var gate = Gate("gh-2");
        Serve(gate, Web("v1", "blue", rollout: true, indexId: 0));
        Assert.Equal("blue", BackendOf(Serve(gate, Web("v2", "green", rollout: true, indexId: 0))));

        var served = gate.Apply(ResourceSnapshot.Empty);

        Assert.Empty(served.Ingresses);
        Assert.Empty(gate.Status);
        Assert.Empty(gate.AppliedObjects);

        // A later re-creation is not held against the deleted copy.
        Assert.Equal("green", BackendOf(Serve(gate, Web("v2", "green", rollout: true, indexId: 0))));
    }

    [Fact]
    public void A_pod_with_no_earlier_copy_applies_the_update_and_says_so()
    {
        var logger = new TestLogger<RolloutGate>();
        var gate = new RolloutGate("gh-2", Prefix, [], NullEventRecorder.Instance, logger);

        var served = Serve(gate, Web("v2", "green", rollout: true, indexId: 1));

        Assert.Equal("green", BackendOf(served));
        Assert.Equal(1, gate.IngressesWithoutEarlierCopy);
        Assert.Contains(logger.At(Microsoft.Extensions.Logging.LogLevel.Warning), m => m.Contains("no earlier copy", StringComparison.Ordinal));

        // Once applied, later passes are ordinary: no further count.
        Serve(gate, Web("v2", "green", rollout: true, indexId: 1));
        Assert.Equal(1, gate.IngressesWithoutEarlierCopy);
    }

    [Fact]
    public void The_applied_copy_is_persisted_and_restores_a_restarted_pod()
    {
        var before = Gate("gh-2");
        Serve(before, Web("v1", "blue"));
        Serve(before, Web("v2", "green", rollout: true, indexId: 1));
        var persisted = Assert.Single(before.AppliedObjects);
        Assert.Equal(("Ingress", "default/web-1", "v1"), (persisted.Kind, persisted.Name, persisted.Revision));

        var restarted = Gate("gh-2", before.AppliedObjects);
        var served = Serve(restarted, Web("v2", "green", rollout: true, indexId: 1));

        Assert.Equal("blue", BackendOf(served));
        Assert.Equal(RolloutState.Held, Assert.Single(restarted.Status).State);
        Assert.Equal(0, restarted.IngressesWithoutEarlierCopy);
    }

    [Fact]
    public void Secrets_are_gated_by_their_own_annotations()
    {
        var gate = Gate("gh-1");
        gate.Apply(Snapshots.FromYaml(TlsSecret("v1", "AAAA", rollout: false, indexId: -1)));
        var held = gate.Apply(Snapshots.FromYaml(TlsSecret("v2", "BBBB", rollout: true, indexId: 1)));
        Assert.Equal("AAAA", held.Secrets["default/cert-1"].Data!["tls.crt"]);

        // Ingress annotations do not gate a Secret.
        var ingressWords = gate.Apply(Snapshots.FromYaml(TlsSecret("v2", "BBBB", rollout: true, indexId: 1).Replace("secret-rollout", "ingress-rollout", StringComparison.Ordinal)));
        Assert.Equal("BBBB", ingressWords.Secrets["default/cert-1"].Data!["tls.crt"]);
    }

    [Fact]
    public void Holding_an_object_back_records_one_event_per_revision()
    {
        var events = new RecordingEvents();
        var gate = new RolloutGate("gh-2", Prefix, [], events, new TestLogger<RolloutGate>());
        Serve(gate, Web("v1", "blue"));
        Serve(gate, Web("v2", "green", rollout: true, indexId: 1));
        Serve(gate, Web("v2", "green", rollout: true, indexId: 2));

        var recorded = Assert.Single(events.Recorded);
        Assert.Equal(("Ingress", "default", "web-1", "RolloutHeld"), (recorded.Kind, recorded.Namespace, recorded.Name, recorded.Reason));
        Assert.Contains("v1", recorded.Message, StringComparison.Ordinal);
        Assert.Contains("v2", recorded.Message, StringComparison.Ordinal);
    }

    private static RolloutGate Gate(string pod, ImmutableArray<AppliedObjectConfig> applied = default)
        => new(pod, Prefix, applied, NullEventRecorder.Instance, new TestLogger<RolloutGate>());

    private static ResourceSnapshot Serve(RolloutGate gate, string yaml) => gate.Apply(Snapshots.FromYaml(yaml));

    private static string BackendOf(ResourceSnapshot snapshot)
        => snapshot.Ingresses["default/web-1"].Spec!.Rules![0].Http!.Paths![0].Backend!.Service!.Name!;

    private static string Web(string revision, string service, bool rollout = false, int indexId = -1, string extra = "")
        => $$"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: web-1
              annotations:
                extra: "{{extra}}"
                {{Prefix}}ingress-rollout: "{{(rollout ? "true" : "false")}}"
                {{Prefix}}ingress-rollout-update-revision: "{{revision}}"
                {{Prefix}}ingress-rollout-index-id: "{{indexId}}"
            spec:
              rules:
              - host: web.example
                http:
                  paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: {{service}}
                        port: {number: 80}
            """;

    private static string TlsSecret(string revision, string certificate, bool rollout, int indexId)
        => $$"""
            apiVersion: v1
            kind: Secret
            type: kubernetes.io/tls
            metadata:
              name: cert-1
              annotations:
                {{Prefix}}secret-rollout: "{{(rollout ? "true" : "false")}}"
                {{Prefix}}secret-rollout-update-revision: "{{revision}}"
                {{Prefix}}secret-rollout-index-id: "{{indexId}}"
            data: {tls.crt: {{certificate}}, tls.key: AAAA}
            """;

    private sealed class RecordingEvents : IEventRecorder
    {
        public List<ObjectEvent> Recorded { get; } = [];

        public void Record(ObjectEvent objectEvent) => Recorded.Add(objectEvent);
    }
}
