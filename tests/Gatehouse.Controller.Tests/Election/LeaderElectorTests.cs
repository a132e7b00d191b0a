using Gatehouse.Controller.Election;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Tests.FakeApiServer;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.FakeApiServer.FakeKubernetesApiServerExtensions;

namespace Gatehouse.Tests.Election;

public sealed class LeaderElectorTests : IAsyncLifetime
{
    private FakeKubernetesApiServer _server = null!;
    private readonly List<KubernetesApiClient> _clients = [];
    private readonly List<LeaderElector> _electors = [];

    public async Task InitializeAsync() => _server = await FakeKubernetesApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var elector in _electors)
        {
            await elector.StopAsync(CancellationToken.None);
            elector.Dispose();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task OfThreeReplicasExactlyOneLeadsAndAnotherTakesOverWhenItStops()
    {
        var electors = new[] { Start("gatehouse-0"), Start("gatehouse-1"), Start("gatehouse-2") };
        await WaitUntil(() => electors.Count(e => e.IsLeader) == 1 && HolderOfLease() is not null);

        // Let everyone run several more rounds against the held lease: nobody else may take it.
        var renewals = _server.Writes.Count;
        await _server.WaitUntilAsync(() => _server.Writes.Count >= renewals + 5);
        var leader = Assert.Single(electors, e => e.IsLeader);
        Assert.Equal(leader.Identity, HolderOfLease());

        // Graceful stop releases the lease, so a follower takes over at its next retry, not after the lease duration.
        await leader.StopAsync(CancellationToken.None);
        Assert.False(leader.IsLeader);
        await WaitUntil(() => electors.Count(e => e != leader && e.IsLeader) == 1);
        var successor = Assert.Single(electors, e => e != leader && e.IsLeader);
        Assert.Equal(successor.Identity, HolderOfLease());
        Assert.Equal(1, _server.Get<Lease>(Leases, "gatehouse", "gatehouse-leader")!.Spec!.LeaseTransitions);
        _server.AssertRequestsWithinDeclaredCalls();
    }

    [Fact]
    public async Task ALeaderThatStopsRenewingIsReplacedAfterTheLeaseDuration()
    {
        // The crashed leader: it takes the lease once and is never heard of again.
        using var crashedClient = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
        var crashed = new LeaderElector(crashedClient, Options("crashed"), NullLogger<LeaderElector>.Instance);
        await crashed.TryAcquireOrRenewAsync(CancellationToken.None);
        Assert.True(crashed.IsLeader);

        var follower = Start("gatehouse-1");
        await WaitUntil(() => follower.IsLeader);

        var lease = _server.Get<Lease>(Leases, "gatehouse", "gatehouse-leader")!;
        Assert.Equal("gatehouse-1", lease.Spec!.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);

        // The old leader comes back: it sees the lease taken, and steps down instead of fighting for it.
        await crashed.TryAcquireOrRenewAsync(CancellationToken.None);
        Assert.False(crashed.IsLeader);
        Assert.Equal("gatehouse-1", HolderOfLease());
        crashed.Dispose();
    }

    private LeaderElector Start(string identity)
    {
        var client = new KubernetesApiClient(new KubernetesClientConfiguration { Server = _server.BaseAddress });
        _clients.Add(client);
        var elector = new LeaderElector(client, Options(identity), NullLogger<LeaderElector>.Instance);
        _electors.Add(elector);
        elector.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return elector;
    }

    /// <summary>Short periods so the tests run in seconds; the ratios are the defaults' (15 / 10 / 2).</summary>
    private static LeaderElectionOptions Options(string identity) => new()
    {
        Namespace = "gatehouse",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(200),
    };

    private string? HolderOfLease() => _server.Get<Lease>(Leases, "gatehouse", "gatehouse-leader")?.Spec?.HolderIdentity;

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
