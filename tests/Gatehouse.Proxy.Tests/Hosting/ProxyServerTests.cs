using System.Net;
using Gatehouse.Proxy.Hosting;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Hosting;

public sealed class ProxyServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task StopDrainsRequestsInFlight()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await release.Task.WaitAsync(Patience);
            await context.Response.WriteAsync("finished");
        });
        await using var server = new ProxyServer(ProxyHarness.LocalOptions(), NullLoggerFactory.Instance);
        await server.StartAsync();
        server.ApplyConfig(CatchAll(Backend("slow", backend.Endpoint)));
        using var client = new HttpClient();

        var inFlight = client.GetAsync($"http://127.0.0.1:{server.HttpPort}/");
        await arrived.Task.WaitAsync(Patience);
        var stopping = server.StopAsync();
        Assert.False(stopping.IsCompleted, "stop must wait for the request in flight");
        release.SetResult();
        using var response = await inFlight.WaitAsync(Patience);
        await stopping.WaitAsync(Patience);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("finished", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ApplyConfigMakesTheProxyReady()
    {
        await using var server = new ProxyServer(ProxyHarness.LocalOptions(), NullLoggerFactory.Instance);
        await server.StartAsync();

        Assert.False(server.IsReady);
        Assert.Equal(3, server.ApplyConfig(CatchAll(Backend("a"), generation: 3)));
        Assert.True(server.IsReady);
    }
}
