using Gatehouse.Proxy.Transport;
using Microsoft.AspNetCore.Http;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Proxy.Tests.Transport;

public sealed class EpollTransportTests
{
    [Fact]
    public async Task ByDefaultClientConnectionsAreAcceptedOnTheProxysOwnEventLoops()
    {
        await using var backend = await TestBackend.StartAsync(static context => context.Response.WriteAsync("from backend"));
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("b", backend.Endpoint)), ProxyHarness.LocalOptions());

        Assert.Equal("from backend", await proxy.Client.GetStringAsync("/"));
        Assert.NotNull(proxy.Server.EventLoops);
        Assert.True(proxy.Server.EventLoops!.AcceptedConnections >= 1);
    }

    [Fact]
    public async Task TheSocketTransportLeavesTheLoopsOut()
    {
        await using var backend = await TestBackend.StartAsync(static context => context.Response.WriteAsync("from backend"));
        await using var proxy = await ProxyHarness.StartAsync(
            CatchAll(Backend("b", backend.Endpoint)), ProxyHarness.LocalOptions() with { Transport = ProxyTransport.Sockets });

        Assert.Equal("from backend", await proxy.Client.GetStringAsync("/"));
        Assert.Null(proxy.Server.EventLoops);
    }

    [Fact]
    public async Task SeveralLoopsShareTheConnections()
    {
        await using var backend = await TestBackend.StartAsync(static context => context.Response.WriteAsync("from backend"));
        await using var proxy = await ProxyHarness.StartAsync(
            CatchAll(Backend("b", backend.Endpoint)), ProxyHarness.LocalOptions() with { EventLoops = 3 });

        var requests = Enumerable.Range(0, 12).Select(async _ =>
        {
            using var client = new HttpClient { BaseAddress = proxy.Client.BaseAddress };
            return await client.GetStringAsync("/");
        });
        Assert.All(await Task.WhenAll(requests), body => Assert.Equal("from backend", body));
        Assert.Equal(3, proxy.Server.EventLoops!.Count);
        Assert.True(proxy.Server.EventLoops.AcceptedConnections >= 12);
    }
}
