using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;
using Gatehouse.Proxy.Configuration;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Configuration;

public sealed class ConfigSwapTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task KeepAliveConnectionSurvivesSwapAndFollowsNewTable()
    {
        await using var a = await TestBackend.StartTextAsync("a");
        await using var b = await TestBackend.StartTextAsync("b");
        await using var proxy = await ProxyHarness.StartAsync(Of([Host("", Prefix("/svc", "a"))], [Backend("a", a.Endpoint), Backend("b", b.Endpoint)]));

        // Count the client's TCP connections to the proxy.
        var connections = 0;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        { BaseAddress = proxy.BaseAddress };

        var before = await client.GetStringAsync("/svc");
        proxy.Server.ApplyConfig(Of([Host("", Prefix("/svc", "b"))], [Backend("a", a.Endpoint), Backend("b", b.Endpoint)], generation: 2));
        var after = await client.GetStringAsync("/svc");
        var again = await client.GetStringAsync("/svc");

        Assert.Equal("a", before);
        Assert.Equal("b", after);
        Assert.Equal("b", again);
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task RequestInFlightCompletesOnTheTableItStartedWith()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await release.Task.WaitAsync(Patience);
            await context.Response.WriteAsync("slow done");
        });
        await using var proxy = await ProxyHarness.StartAsync(CatchAll(Backend("slow", slow.Endpoint)));

        var inFlight = proxy.Client.GetStringAsync("/slow");
        await arrived.Task.WaitAsync(Patience);

        // The new generation drops the route and the backend entirely.
        proxy.Server.ApplyConfig(Of([Host("other.example.com", Prefix("/", "x"))], [Backend("x")], generation: 2));
        using var newRequest = await proxy.Client.GetAsync("/slow");
        release.SetResult();

        Assert.Equal(HttpStatusCode.NotFound, newRequest.StatusCode);
        Assert.Equal("slow done", await inFlight.WaitAsync(Patience));
    }

    [Fact]
    public void UnchangedBackendKeepsItsClientAcrossGenerations()
    {
        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var first = state.Apply(CatchAll(Backend("ns/a:80", new EndpointConfig("10.0.0.1", 80)), generation: 1));
        var second = state.Apply(CatchAll(Backend("ns/a:80", new EndpointConfig("10.0.0.2", 80), new EndpointConfig("10.0.0.3", 80)), generation: 2));

        var oldBackend = first.Backends["ns/a:80"];
        var newBackend = second.Backends["ns/a:80"];
        Assert.Same(oldBackend.Client, newBackend.Client);
        Assert.False(newBackend.Client.IsRetired);

        // Endpoints come from the new config; the old snapshot is untouched (immutable).
        Assert.Equal(["10.0.0.1:80"], oldBackend.Endpoints.Select(e => e.Config.ToString()));
        Assert.Equal(["10.0.0.2:80", "10.0.0.3:80"], newBackend.Endpoints.Select(e => e.Config.ToString()));
    }

    [Fact]
    public void ProtocolChangeGetsANewClient()
    {
        using var state = new ProxyConfigState(new ForwarderOptions(), NullLogger.Instance);
        var first = state.Apply(CatchAll(Backend("ns/a:80", new EndpointConfig("10.0.0.1", 80)), generation: 1));
        var second = state.Apply(CatchAll(Backend("ns/a:80", new EndpointConfig("10.0.0.1", 80)) with { Protocol = BackendProtocol.Https }, generation: 2));

        Assert.NotSame(first.Backends["ns/a:80"].Client, second.Backends["ns/a:80"].Client);
        Assert.True(first.Backends["ns/a:80"].Client.IsRetired);
        Assert.Equal("https://10.0.0.1:80", second.Backends["ns/a:80"].NextEndpoint()!.UriPrefix);
        Assert.True(second.Backends["ns/a:80"].Client.UsesTls);
    }

    [Fact]
    public async Task RemovedBackendIsDisposedAfterGraceOnceIdle()
    {
        using var state = new ProxyConfigState(new ForwarderOptions { RetiredClientGracePeriod = TimeSpan.FromMilliseconds(50) }, NullLogger.Instance);
        var first = state.Apply(CatchAll(Backend("gone", new EndpointConfig("10.0.0.1", 80)), generation: 1));
        var client = first.Backends["gone"].Client;

        // A request still holds the client: it must survive the grace period.
        client.Acquire();
        state.Apply(CatchAll(Backend("kept", new EndpointConfig("10.0.0.2", 80)), generation: 2));
        var early = await Task.WhenAny(client.Disposal, Task.Delay(300));
        Assert.NotSame(client.Disposal, early);
        Assert.True(client.IsRetired);

        client.Release();
        await client.Disposal.WaitAsync(Patience);
        Assert.True(client.IsDisposed);
    }
}
