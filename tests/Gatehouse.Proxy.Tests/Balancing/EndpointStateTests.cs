using System.Diagnostics;
using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;

namespace Gatehouse.Tests.Balancing;

/// <summary>Passive health and the ewma choice, on endpoint states driven directly.</summary>
public sealed class EndpointStateTests
{
    private static readonly long Millisecond = Stopwatch.Frequency / 1000;

    [Fact]
    public void Max_fails_within_the_window_eject_and_a_success_restores()
    {
        var state = new EndpointState("web@10.0.0.1:80", new PassiveHealth(2, TimeSpan.FromSeconds(30), logger: null));
        var now = Stopwatch.GetTimestamp();

        state.EndAttempt(state.BeginAttempt(), failed: true);
        Assert.True(state.IsAvailable(Stopwatch.GetTimestamp()));

        state.EndAttempt(state.BeginAttempt(), failed: true);
        Assert.False(state.IsAvailable(Stopwatch.GetTimestamp()));
        Assert.Equal(1, state.Ejections);

        // After the fail timeout it is tried again.
        Assert.True(state.IsAvailable(now + (31 * Stopwatch.Frequency)));

        state.EndAttempt(state.BeginAttempt(), failed: false);
        Assert.True(state.IsAvailable(Stopwatch.GetTimestamp()));
        Assert.Equal(0, state.InFlight);
    }

    [Fact]
    public void Max_fails_zero_never_ejects()
    {
        var state = new EndpointState("web@10.0.0.1:80", new PassiveHealth(0, TimeSpan.FromSeconds(30), logger: null));
        for (var i = 0; i < 10; i++)
        {
            state.EndAttempt(state.BeginAttempt(), failed: true);
        }

        Assert.True(state.IsAvailable(Stopwatch.GetTimestamp()));
        Assert.Equal(0, state.Ejections);
    }

    [Fact]
    public void Peak_ewma_takes_a_slow_answer_at_once_and_forgets_it_gradually()
    {
        var state = new EndpointState("web@10.0.0.1:80");
        var now = Stopwatch.GetTimestamp();
        state.ObserveLatency(10 * Millisecond, now);
        state.ObserveLatency(500 * Millisecond, now);
        Assert.Equal(500.0 * Millisecond, state.Score(now), 1);

        // A fast answer right after barely moves the estimate; ten seconds later the peak has decayed.
        state.ObserveLatency(10 * Millisecond, now + Millisecond);
        Assert.True(state.Score(now + Millisecond) > 400.0 * Millisecond);
        Assert.True(state.Score(now + (20 * Stopwatch.Frequency)) < 100.0 * Millisecond);
    }

    [Fact]
    public void Ewma_prefers_the_fast_endpoint_unless_it_is_busy()
    {
        var backend = new Backend(
            new BackendConfig { Name = "web", Endpoints = [new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80)] },
            new BackendClient("web", BackendProtocol.Http, new ForwarderOptions()),
            new RoundRobin());
        var endpoints = backend.Endpoints;
        var now = Stopwatch.GetTimestamp();
        endpoints[0].State.ObserveLatency(200 * Millisecond, now);
        endpoints[1].State.ObserveLatency(5 * Millisecond, now);

        var fast = 0;
        for (var i = 0; i < 200; i++)
        {
            fast += ReferenceEquals(backend.EwmaEndpoint(), endpoints[1]) ? 1 : 0;
        }

        Assert.Equal(200, fast);

        // 100 requests in flight on the fast one make its score (5 ms x 101) worse than the idle slow one's.
        for (var i = 0; i < 100; i++)
        {
            endpoints[1].State.BeginAttempt();
        }

        Assert.Same(endpoints[0], backend.EwmaEndpoint());
        backend.Client.Dispose();
    }

    [Fact]
    public void Selection_skips_an_ejected_endpoint_unless_all_are()
    {
        var health = new PassiveHealth(1, TimeSpan.FromSeconds(30), logger: null);
        var backend = new Backend(
            new BackendConfig { Name = "web", Endpoints = [new EndpointConfig("10.0.0.1", 80), new EndpointConfig("10.0.0.2", 80)] },
            new BackendClient("web", BackendProtocol.Http, new ForwarderOptions()),
            new RoundRobin(),
            previousStates: null,
            health);
        var endpoints = backend.Endpoints;
        endpoints[0].State.EndAttempt(endpoints[0].State.BeginAttempt(), failed: true);

        for (var i = 0; i < 10; i++)
        {
            Assert.Same(endpoints[1], backend.NextEndpoint());
            Assert.Same(endpoints[1], backend.EwmaEndpoint());
            Assert.Same(endpoints[1], backend.EndpointForHash((ulong)i * 0x9E3779B97F4A7C15UL));
        }

        Assert.Same(endpoints[1], EndpointSelection.PickRetry(backend, []));

        // Both ejected: better to try one than to answer 503.
        endpoints[1].State.EndAttempt(endpoints[1].State.BeginAttempt(), failed: true);
        Assert.NotNull(backend.NextEndpoint());

        // A new generation with the same addresses keeps the states (and so the ejections).
        var next = new Backend(backend.Config, backend.Client, new RoundRobin(), backend.States, health);
        Assert.Same(endpoints[0].State, next.Endpoints[0].State);
        backend.Client.Dispose();
    }
}
