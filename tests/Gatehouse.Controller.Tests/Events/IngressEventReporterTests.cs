using System.Collections.Concurrent;
using Gatehouse.Controller;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Publishing;

namespace Gatehouse.Tests.Events;

/// <summary>The control loop's Events: a Warning per new rejection, a Normal "Sync" when an Ingress becomes served.</summary>
public sealed class IngressEventReporterTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c" };

    private const string Yaml = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: good, namespace: default, uid: uid-good}
        spec:
          ingressClassName: gatehouse
          rules: [{host: good.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: broken, namespace: default, uid: uid-broken}
        spec:
          ingressClassName: gatehouse
          rules: [{host: broken.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}]}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: foreign, namespace: default}
        spec:
          ingressClassName: nginx
          rules: [{host: foreign.test}]
        """;

    [Fact]
    public void ARejectedIngressGetsOneWarningAndServedIngressesOneSyncEvent()
    {
        var recorder = new RecordingEventRecorder();
        var source = new FakeSource { HasSynced = true };
        source.Set(Snapshots.FromYaml(Yaml));
        var loop = new ControllerLoop(
            [source], new ConfigPublisher(new RecordingSink()), new ControllerState(), Options, new TestLogger<ControllerLoop>(),
            events: new IngressEventReporter(recorder));

        loop.RunOnce();
        loop.RunOnce();

        var warning = Assert.Single(recorder.Events, e => e.Severity == EventSeverity.Warning);
        Assert.Equal(("Ingress", "default", "broken", "Rejected", "uid-broken", "networking.k8s.io/v1"),
            (warning.Kind, warning.Namespace, warning.Name, warning.Reason, warning.Uid, warning.ApiVersion));
        Assert.Contains("missing", warning.Message, StringComparison.Ordinal);
        var synced = recorder.Events.Where(e => e.Severity == EventSeverity.Normal).ToList();
        Assert.Equal(["broken", "good"], synced.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.All(synced, e => Assert.Equal("Sync", e.Reason));

        // "foreign" stops being someone else's: it becomes served and gets its Sync event, once.
        source.Set(Snapshots.FromYaml(Yaml.Replace("ingressClassName: nginx", "ingressClassName: gatehouse", StringComparison.Ordinal)));
        loop.RunOnce();
        loop.RunOnce();
        Assert.Single(recorder.Events, e => e.Name == "foreign" && e.Reason == "Sync");
        Assert.Equal(4, recorder.Events.Count);
    }

    private sealed class RecordingEventRecorder : IEventRecorder
    {
        private readonly ConcurrentQueue<ObjectEvent> _events = new();

        public IReadOnlyList<ObjectEvent> Events => [.. _events];

        public void Record(ObjectEvent objectEvent) => _events.Enqueue(objectEvent);
    }
}
