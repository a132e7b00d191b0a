using Gatehouse.Controller.Events;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests.Events;

public sealed class KubernetesEventRecorderTests : IAsyncLifetime
{
    private FakeKubernetesApiServer _server = null!;
    private KubernetesApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AnEventIsCreatedOnceAndRepeatsPatchItsCount()
    {
        await using var recorder = new KubernetesEventRecorder(_client, new EventRecorderOptions { Instance = "gatehouse-0" }, NullLogger<KubernetesEventRecorder>.Instance);
        var rejected = new ObjectEvent("Ingress", "web", "shop", EventSeverity.Warning, "Rejected", "bad annotation", "uid-1");

        recorder.Record(rejected);
        await _server.WaitUntilAsync(() => _server.Writes.Count == 1);
        recorder.Record(rejected);
        recorder.Record(rejected);
        await _server.WaitUntilAsync(() => _server.Writes.Count == 3);

        var create = _server.Writes[0];
        Assert.Equal(("POST", "/api/v1/namespaces/web/events"), (create.Method, create.Path));
        Assert.All(_server.Writes.Skip(1), w => Assert.Equal("PATCH", w.Method));
        var stored = Assert.Single(_server.Store.List(CoreEvents, "web", new FakeSelectors(null, null)).Items);
        var name = (string)stored["metadata"]!["name"]!;
        var written = _server.Get<Event>(CoreEvents, "web", name)!;
        Assert.Equal(3, written.Count);
        Assert.Equal(("Warning", "Rejected", "bad annotation"), (written.Type, written.Reason, written.Message));
        Assert.Equal(("networking.k8s.io/v1", "Ingress", "web", "shop", "uid-1"),
            (written.InvolvedObject!.ApiVersion, written.InvolvedObject.Kind, written.InvolvedObject.Namespace, written.InvolvedObject.Name, written.InvolvedObject.Uid));
        Assert.Equal(("gatehouse-controller", "gatehouse-0"), (written.Source!.Component, written.Source.Host));
        Assert.Equal(("gatehouse-controller", "gatehouse-0"), (written.ReportingComponent, written.ReportingInstance));
        Assert.NotNull(written.FirstTimestamp);
        Assert.True(written.LastTimestamp >= written.FirstTimestamp);

        // Another message is another event.
        recorder.Record(rejected with { Message = "another problem" });
        await _server.WaitUntilAsync(() => _server.Writes.Count == 4);
        Assert.Equal("POST", _server.Writes[3].Method);
        _server.AssertRequestsWithinDeclaredCalls();
    }

    [Fact]
    public async Task AnObjectGetsABurstOfEventsThenRepeatsAreDropped()
    {
        await using var recorder = new KubernetesEventRecorder(
            _client,
            new EventRecorderOptions { Instance = "gatehouse-0", Burst = 2, RefillInterval = TimeSpan.FromHours(1) },
            NullLogger<KubernetesEventRecorder>.Instance);

        for (var i = 0; i < 5; i++)
        {
            recorder.Record(new ObjectEvent("Ingress", "web", "flapping", EventSeverity.Warning, "Rejected", $"problem {i}"));
        }

        // Another object has its own budget; written after the flapping ones, so once it is there the rest were decided.
        recorder.Record(new ObjectEvent("Ingress", "web", "calm", EventSeverity.Normal, "Sync", "Served by gatehouse"));
        await _server.WaitUntilAsync(() => _server.Writes.Any(w => w.Body.Contains("\"calm\"", StringComparison.Ordinal)));

        Assert.Equal(3, _server.Writes.Count);
        Assert.Equal(3, recorder.Dropped);
    }

    [Fact]
    public async Task AnUnreachableApiServerNeitherThrowsNorBlocksRecord()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var unreachable = new KubernetesApiClient(new KubernetesClientConfiguration { Server = new Uri($"http://127.0.0.1:{port}") });
        var logger = new TestLogger<KubernetesEventRecorder>();
        await using var recorder = new KubernetesEventRecorder(unreachable, new EventRecorderOptions { Instance = "gatehouse-0", QueueCapacity = 2 }, logger);

        // More than the queue holds, each returning at once: the surplus is dropped, not waited for.
        for (var i = 0; i < 50; i++)
        {
            recorder.Record(new ObjectEvent("Ingress", "web", $"shop-{i}", EventSeverity.Warning, "Rejected", "bad"));
        }

        // Every event ends up dropped, at the queue or after its write failed, and the failures are logged.
        await WaitUntil(() => recorder.Dropped == 50, () => $"dropped {recorder.Dropped}: {string.Join(" | ", logger.Entries.Select(e => e.Message))}");
        Assert.Contains(logger.At(Microsoft.Extensions.Logging.LogLevel.Warning), m => m.Contains("Could not write Rejected event on Ingress web/shop-", StringComparison.Ordinal));
    }

    private static async Task WaitUntil(Func<bool> condition, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, describe?.Invoke() ?? "condition not met in time");
            await Task.Delay(20);
        }
    }
}
