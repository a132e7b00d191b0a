using System.Net;
using System.Net.Sockets;
using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Forwarding;

/// <summary>
/// proxy-next-upstream retries, per-route proxy-*-timeouts and passive health, against real Kestrel
/// backends and the in-process proxy on 127.0.0.1.
/// </summary>
public abstract class UpstreamPolicyTests : UpstreamClientTests
{
    private static GatehouseConfig Route(BackendConfig backend, UpstreamPolicyConfig? policy)
        => Of([Host("", Prefix("/", backend.Name) with { Upstream = policy })], [backend]);

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(ProxyHarness proxy, string path = "/")
    {
        using var response = await proxy.Client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<long> RetriesAsync(ProxyHarness proxy)
    {
        var text = await proxy.AdminClient.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith("gatehouse_upstream_retries_total{", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_refused_connection_is_retried_on_the_next_endpoint_and_counted()
    {
        await using var good = await TestBackend.StartTextAsync("good");
        var backend = Backend("web", new EndpointConfig("127.0.0.1", ClosedPort()), good.Endpoint);
        await using var proxy = await StartProxyAsync(Route(backend, policy: null));

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "good"), await GetAsync(proxy));
        }

        Assert.True(await RetriesAsync(proxy) >= 1);
    }

    [Fact]
    public async Task With_proxy_next_upstream_off_a_refused_connection_answers_502()
    {
        await using var good = await TestBackend.StartTextAsync("good");
        var backend = Backend("web", new EndpointConfig("127.0.0.1", ClosedPort()), good.Endpoint);
        var policy = new UpstreamPolicyConfig { NextUpstream = NextUpstreamConditions.None };
        await using var proxy = await StartProxyAsync(Route(backend, policy));

        // Round robin alternates: within two requests one goes to the closed port and is not retried.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            statuses.Add((await GetAsync(proxy)).Status);
        }

        Assert.Contains(HttpStatusCode.BadGateway, statuses);
        Assert.Equal(0, await RetriesAsync(proxy));
    }

    [Fact]
    public async Task An_http_502_is_retried_only_when_listed()
    {
        await using var failing = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 502;
            return context.Response.WriteAsync("from the failing backend");
        });
        await using var good = await TestBackend.StartTextAsync("good");
        var backend = Backend("web", failing.Endpoint, good.Endpoint);

        var listed = new UpstreamPolicyConfig { NextUpstream = NextUpstreamConditions.Error | NextUpstreamConditions.Http502 };
        await using (var proxy = await StartProxyAsync(Route(backend, listed)))
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal((HttpStatusCode.OK, "good"), await GetAsync(proxy));
            }
        }

        // Default conditions (error timeout): the backend's 502 is its answer, passed through as is.
        await using (var proxy = await StartProxyAsync(Route(backend, policy: null)))
        {
            var answers = new List<(HttpStatusCode, string)>();
            for (var i = 0; i < 2; i++)
            {
                answers.Add(await GetAsync(proxy));
            }

            Assert.Contains((HttpStatusCode.BadGateway, "from the failing backend"), answers);
        }
    }

    [Fact]
    public async Task When_every_endpoint_answers_a_listed_status_the_client_gets_a_502()
    {
        await using var first = await TestBackend.StartAsync(context => { context.Response.StatusCode = 503; return Task.CompletedTask; });
        await using var second = await TestBackend.StartAsync(context => { context.Response.StatusCode = 503; return Task.CompletedTask; });
        var policy = new UpstreamPolicyConfig { NextUpstream = NextUpstreamConditions.Http503 };
        await using var proxy = await StartProxyAsync(Route(Backend("web", first.Endpoint, second.Endpoint), policy));

        var (status, body) = await GetAsync(proxy);

        // Two endpoints, two tries: the second attempt is the last and its 503 goes to the client.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(1, await RetriesAsync(proxy));
        Assert.Equal("", body);
    }

    [Fact]
    public async Task One_try_means_no_retry()
    {
        await using var good = await TestBackend.StartTextAsync("good");
        var backend = Backend("web", new EndpointConfig("127.0.0.1", ClosedPort()), good.Endpoint);
        await using var proxy = await StartProxyAsync(Route(backend, new UpstreamPolicyConfig { NextUpstreamTries = 1 }));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            statuses.Add((await GetAsync(proxy)).Status);
        }

        Assert.Contains(HttpStatusCode.BadGateway, statuses);
        Assert.Equal(0, await RetriesAsync(proxy));
    }

    [Fact]
    public async Task A_post_is_retried_only_with_non_idempotent_and_then_its_body_arrives_whole()
    {
        var received = new List<string>();
        await using var good = await TestBackend.StartAsync(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (received)
            {
                received.Add(body);
            }

            await context.Response.WriteAsync("got " + body);
        });
        var backend = Backend("web", new EndpointConfig("127.0.0.1", ClosedPort()), good.Endpoint);

        await using (var proxy = await StartProxyAsync(Route(backend, policy: null)))
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 2; i++)
            {
                using var response = await proxy.Client.PostAsync("/", new StringContent("order-" + i));
                statuses.Add(response.StatusCode);
            }

            // nginx never retries a POST unless told to.
            Assert.Contains(HttpStatusCode.BadGateway, statuses);
            Assert.Equal(0, await RetriesAsync(proxy));
        }

        var nonIdempotent = new UpstreamPolicyConfig { NextUpstream = NextUpstreamConditions.Error | NextUpstreamConditions.NonIdempotent };
        await using (var proxy = await StartProxyAsync(Route(backend, nonIdempotent)))
        {
            for (var i = 0; i < 4; i++)
            {
                using var response = await proxy.Client.PostAsync("/", new StringContent("payment-" + i));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("got payment-" + i, await response.Content.ReadAsStringAsync());
            }

            Assert.True(await RetriesAsync(proxy) >= 1);
        }
    }

    [Fact]
    public async Task A_body_already_sent_is_never_replayed()
    {
        // The first endpoint reads the whole body, then drops the connection without answering.
        var bodiesSeen = 0;
        await using var rude = await TestBackend.StartAsync(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            await reader.ReadToEndAsync();
            Interlocked.Increment(ref bodiesSeen);
            context.Abort();
        });
        await using var good = await TestBackend.StartTextAsync("good");
        var policy = new UpstreamPolicyConfig { NextUpstream = NextUpstreamConditions.Error | NextUpstreamConditions.NonIdempotent };
        await using var proxy = await StartProxyAsync(Route(Backend("web", rude.Endpoint, good.Endpoint), policy));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.PostAsync("/", new StringContent("once"));
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.BadGateway, statuses);
        Assert.Equal(1, bodiesSeen);
        Assert.Equal(0, await RetriesAsync(proxy));
    }

    [Fact]
    public async Task Proxy_read_timeout_is_per_route()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path.StartsWithSegments("/slow"))
            {
                await Task.WhenAny(release.Task, Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted));
            }

            await context.Response.WriteAsync("answered");
        });
        var backend = Backend("web", slow.Endpoint);
        var config = Of(
            [Host("", Prefix("/slow/short", "web") with { Upstream = new UpstreamPolicyConfig { ReadTimeoutMs = 200 } }, Prefix("/slow/long", "web"))],
            [backend]);
        await using var proxy = await StartProxyAsync(config, upstreamTimeout: TimeSpan.FromSeconds(30));

        var shortRoute = await GetAsync(proxy, "/slow/short");
        Assert.Equal(HttpStatusCode.GatewayTimeout, shortRoute.Status);

        // The route without the annotation keeps the proxy's default and gets the slow answer.
        Assert.Equal((HttpStatusCode.OK, "answered"), await GetAsync(proxy, "/slow/long"));
        release.SetResult();
    }

    [Fact]
    public async Task Proxy_connect_timeout_is_per_route_and_answers_504()
    {
        // A listener with a backlog of one that never accepts: once its queue is full, further SYNs are
        // dropped by the kernel and a connect hangs until the connecting side gives up.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            // Fill the accept queue; stop at the first connect that does not complete quickly.
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var policy = new UpstreamPolicyConfig { ConnectTimeoutMs = 300, NextUpstream = NextUpstreamConditions.None };
            await using var proxy = await StartProxyAsync(Route(Backend("web", new EndpointConfig("127.0.0.1", port)), policy));

            var (status, body) = await GetAsync(proxy);

            Assert.Equal(HttpStatusCode.GatewayTimeout, status);
            Assert.Contains("timed out", body, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_is_ejected_and_comes_back_after_the_fail_timeout()
    {
        await using var good = await TestBackend.StartTextAsync("good");
        var closed = new Gatehouse.Tests.Infrastructure.ClosedPort();
        var port = closed.Port;
        var backend = Backend("web", new EndpointConfig("127.0.0.1", port), good.Endpoint);
        var options = LocalOptions() with { UpstreamMaxFails = 1, UpstreamFailTimeout = TimeSpan.FromSeconds(2) };
        await using var proxy = await StartProxyAsync(Route(backend, new UpstreamPolicyConfig { NextUpstream = NextUpstreamConditions.None }), options);

        // Round robin sends one of the first two requests to the dead endpoint: 502, and it is ejected.
        var first = new List<HttpStatusCode> { (await GetAsync(proxy)).Status, (await GetAsync(proxy)).Status };
        Assert.Contains(HttpStatusCode.BadGateway, first);
        var metrics = await proxy.AdminClient.GetStringAsync("/metrics");
        Assert.Contains("gatehouse_upstream_endpoints_ejected{backend=\"web\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("gatehouse_upstream_ejections_total{backend=\"web\"} 1", metrics, StringComparison.Ordinal);

        // While ejected, every request goes to the live endpoint, even without retries.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "good"), await GetAsync(proxy));
        }

        // The dead endpoint comes to life on its port; after the fail timeout it is tried again and serves.
        closed.Dispose();
        await using var revived = await TestBackend.StartOnPortAsync(port, "revived");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var sawRevived = false;
        while (!sawRevived && DateTime.UtcNow < deadline)
        {
            sawRevived = (await GetAsync(proxy)).Body == "revived";
            if (!sawRevived)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(sawRevived, "the endpoint never came back into rotation");
        Assert.DoesNotContain("gatehouse_upstream_endpoints_ejected{", await proxy.AdminClient.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    private static int ClosedPort() => Gatehouse.Tests.Infrastructure.ClosedPort.Next();
}

public sealed class UpstreamPolicyTestsOverSockets : UpstreamPolicyTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Sockets;
}

public sealed class UpstreamPolicyTestsOverLean : UpstreamPolicyTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Lean;
}

public sealed class UpstreamPolicyTestsOverEpollLean : UpstreamPolicyTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Lean;

    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}

public sealed class UpstreamPolicyTestsOverEpollSockets : UpstreamPolicyTests
{
    private protected override UpstreamClient UpstreamClient => UpstreamClient.Sockets;

    private protected override Gatehouse.Proxy.Transport.ProxyTransport Transport => Gatehouse.Proxy.Transport.ProxyTransport.Epoll;
}
