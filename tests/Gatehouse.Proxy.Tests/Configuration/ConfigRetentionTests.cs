using System.Runtime.CompilerServices;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Configuration;

/// <summary>
/// With 100,000 hosts a decoded config and its table are hundreds of megabytes; holding the old pair
/// after a swap would double the proxy's memory. Once the swap is done, nothing may keep them alive.
/// </summary>
public sealed class ConfigRetentionTests
{
    [Fact]
    public void PreviousConfigAndTableAreCollectableAfterASwap()
    {
        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var tablesSeen = 0;
        state.TableChanged += _ => tablesSeen++;

        var (config, table) = ApplyAndForget(state);
        var next = Of([Host("b.test", Prefix("/", "shared"))], [Backend("shared", new EndpointConfig("127.0.0.1", 2))], generation: 2);
        state.Apply(next);

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

        Assert.Equal(2, tablesSeen);
        Assert.Same(next, state.Current!.Config);
        Assert.False(config.IsAlive, "the previous GatehouseConfig is still reachable after the swap");
        Assert.False(table.IsAlive, "the previous RouteTable is still reachable after the swap");
    }

    /// <summary>Not inlined, so no local of the test method (or JIT temporary) roots config A.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Config, WeakReference Table) ApplyAndForget(ProxyConfigState state)
    {
        // The backend keeps its name and protocol, so its client and cursor carry over to B: the
        // carried-over objects must not drag A along.
        var config = Of(
            [Host("a.test", Prefix("/", "shared"), Exact("/x", "gone")), Host("*.a.test", Prefix("/", "shared"))],
            [Backend("shared", new EndpointConfig("127.0.0.1", 1)), Backend("gone", new EndpointConfig("127.0.0.1", 3))],
            defaultBackend: "shared");
        var table = state.Apply(config);
        return (new WeakReference(config), new WeakReference(table));
    }
}
