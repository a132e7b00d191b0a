using Gatehouse.Tests.EndToEnd.Infrastructure;
using Gatehouse.Tests.FakeApiServer;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// Two controller processes against one (fake) API server, as two replicas of the StatefulSet: they
/// elect one leader through the Lease, only the leader writes Ingress status, a rejected Ingress gets
/// a Warning Event, and when the leader stops (SIGTERM) the other takes over.
/// </summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private const string Address = "192.0.2.10";

    private readonly List<ChildProcess> _controllers = [];
    private string _directory = null!;
    private FakeKubernetesApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("gatehouse-e2e-election-").FullName;
        _api = await FakeKubernetesApiServer.StartAsync();
        _api.Apply(Manifests.IngressClass);
        _api.Apply(Manifests.Service("svc-a", 9));
        _api.Apply(Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-a")));
        _api.Apply(Manifests.Ingress("broken", "broken.example.com", ("/", "Prefix", "no-such-service")));
    }

    public async Task DisposeAsync()
    {
        foreach (var controller in _controllers)
        {
            await controller.DisposeAsync();
        }

        await _api.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Two_controllers_elect_one_leader_only_it_writes_status_and_the_other_takes_over()
    {
        var first = StartController("gatehouse-0");
        var second = StartController("gatehouse-1");

        await _api.WaitUntilAsync(() => _api.StatusAddresses("default", "web") == Address, GatehouseStack.Patience * 2);
        var holder = _api.LeaseHolder("gatehouse", "gatehouse-leader");
        Assert.True(holder is "gatehouse-0" or "gatehouse-1", $"lease holder '{holder}'");
        var (leader, follower) = holder == "gatehouse-0" ? (first, second) : (second, first);
        var followerName = holder == "gatehouse-0" ? "gatehouse-1" : "gatehouse-0";

        // Only the leader's credentials ever wrote status; the rejected Ingress is served (its class) so it gets the address too.
        await _api.WaitUntilAsync(() => _api.StatusAddresses("default", "broken") == Address);
        Assert.All(StatusWrites(), w => Assert.Equal($"Bearer token-{holder}", w.Authorization));

        // The rejection is an Event a user sees in `kubectl describe ingress broken`.
        await _api.WaitUntilAsync(() => _api.EventsAbout("default", "broken").Any(e => (string?)e["type"] == "Warning"));
        var warning = _api.EventsAbout("default", "broken").First(e => (string?)e["type"] == "Warning");
        Assert.Equal("Rejected", (string?)warning["reason"]);
        Assert.Contains("no-such-service", (string?)warning["message"], StringComparison.Ordinal);
        Assert.Equal("gatehouse-controller", (string?)warning["source"]?["component"]);
        // Events are written from a background queue, so the "first served" one may land after the warning.
        await _api.WaitUntilAsync(() => _api.EventsAbout("default", "web").Any(e => (string?)e["reason"] == "Sync"));

        // The leader stops gracefully: it releases the lease and the follower takes over well before the lease would expire.
        leader.Terminate();
        Assert.Equal(0, await leader.WaitForExitAsync(GatehouseStack.Patience));
        await _api.WaitUntilAsync(() => _api.LeaseHolder("gatehouse", "gatehouse-leader") == followerName, GatehouseStack.Patience);

        // The new leader writes the status of an Ingress created after the switch.
        _api.Apply(Manifests.Ingress("late", "late.example.com", ("/", "Prefix", "svc-a")));
        await _api.WaitUntilAsync(() => _api.StatusAddresses("default", "late") == Address, GatehouseStack.Patience);
        Assert.Equal($"Bearer token-{followerName}", StatusWrites().Single(w => w.Path.Contains("/late/", StringComparison.Ordinal)).Authorization);
        Assert.False(follower.HasExited, follower.Output);
    }

    private List<FakeRequest> StatusWrites() => [.. _api.Writes.Where(w => w.Path.EndsWith("/status", StringComparison.Ordinal))];

    private ChildProcess StartController(string podName)
    {
        var kubeconfig = _api.WriteKubeconfig(_directory, $"kubeconfig-{podName}", $"token-{podName}");
        var controller = ChildProcess.Start(podName, Binaries.Controller, new Dictionary<string, string> { ["POD_NAME"] = podName },
            "--kubeconfig", kubeconfig,
            "--channel", Path.Combine(_directory, podName, "config.bin"),
            "--admin-port", FreePort.Next().ToString(),
            "--debounce-ms", "50",
            "--publish-status-address", Address,
            "--pod-namespace", "gatehouse");
        _controllers.Add(controller);
        return controller;
    }
}
