using System.Net;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using static Gatehouse.Tests.Infrastructure.Configs;

namespace Gatehouse.Tests.Balancing;

/// <summary>Cookie session affinity through the real proxy to real backends that name themselves.</summary>
public sealed class AffinityTests : IAsyncLifetime
{
    private readonly List<TestBackend> _backends = [];

    public async Task InitializeAsync()
    {
        foreach (var name in new[] { "a", "b", "c", "canary" })
        {
            _backends.Add(await TestBackend.StartTextAsync(name));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    private BackendConfig Main(int endpoints = 3) => Backend("shop/web:80", [.. _backends.Take(endpoints).Select(b => b.Endpoint)]);

    private BackendConfig CanaryBackend => Backend("shop/web-canary:80", _backends[3].Endpoint);

    private static GatehouseConfig Config(BackendConfig main, AffinityConfig affinity, CanaryConfig? canary = null, BackendConfig? canaryBackend = null, long generation = 1)
    {
        var route = Prefix("/shop", main.Name) with
        {
            Upstream = new UpstreamPolicyConfig { Affinity = affinity },
            Canaries = canary is null ? [] : [canary],
        };
        return Of([Host("", route)], canaryBackend is null ? [main] : [main, canaryBackend], generation: generation);
    }

    private static async Task<(string Body, string? SetCookie)> GetAsync(ProxyHarness proxy, string? cookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/shop/cart");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", "theme=dark; " + cookie);
        }

        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Single() : null;
        return (await response.Content.ReadAsStringAsync(), setCookie);
    }

    private static string CookiePair(string setCookie) => setCookie[..setCookie.IndexOf(';')];

    [Theory]
    [InlineData(AffinityMode.Persistent)]
    [InlineData(AffinityMode.Balanced)]
    public async Task A_client_with_the_cookie_stays_on_one_endpoint(AffinityMode mode)
    {
        var affinity = new AffinityConfig { Mode = mode, MaxAgeSeconds = 3600, SameSite = "Lax", Secure = true };
        await using var proxy = await ProxyHarness.StartAsync(Config(Main(), affinity));

        var (first, setCookie) = await GetAsync(proxy);
        Assert.NotNull(setCookie);
        Assert.StartsWith("INGRESSCOOKIE=", setCookie, StringComparison.Ordinal);
        Assert.Contains("; Path=/shop", setCookie, StringComparison.Ordinal);
        Assert.Contains("; Max-Age=3600", setCookie, StringComparison.Ordinal);
        Assert.Contains("; SameSite=Lax", setCookie, StringComparison.Ordinal);
        Assert.Contains("; Secure", setCookie, StringComparison.Ordinal);
        Assert.Contains("; HttpOnly", setCookie, StringComparison.Ordinal);

        // Without affinity round robin would spread 30 requests over all three endpoints.
        for (var i = 0; i < 30; i++)
        {
            var (body, again) = await GetAsync(proxy, CookiePair(setCookie));
            Assert.Equal(first, body);
            Assert.Null(again);
        }

        // Different clients are spread: 30 new sessions do not all land on one endpoint.
        var fresh = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            fresh.Add((await GetAsync(proxy)).Body);
        }

        Assert.True(fresh.Count > 1);
    }

    [Fact]
    public async Task A_cookie_for_a_removed_endpoint_is_pinned_again()
    {
        var affinity = new AffinityConfig { Mode = AffinityMode.Persistent, CookieName = "route" };
        await using var proxy = await ProxyHarness.StartAsync(Config(Main(), affinity));
        string? cookie = null;
        string pinned = "";

        // Find a session pinned to endpoint "c" (the one about to be removed).
        for (var i = 0; i < 30 && pinned != "c"; i++)
        {
            var (body, setCookie) = await GetAsync(proxy);
            (pinned, cookie) = (body, CookiePair(setCookie!));
        }

        Assert.Equal("c", pinned);
        proxy.Server.ApplyConfig(Config(Main(endpoints: 2), affinity, generation: 2));

        var (moved, newCookie) = await GetAsync(proxy, cookie);
        Assert.NotEqual("c", moved);
        Assert.NotNull(newCookie);
        Assert.StartsWith("route=", newCookie, StringComparison.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(moved, (await GetAsync(proxy, CookiePair(newCookie))).Body);
        }
    }

    [Fact]
    public async Task Sticky_keeps_a_client_on_the_canary_after_its_weight_drops_to_zero()
    {
        var affinity = new AffinityConfig { Mode = AffinityMode.Persistent };
        var canary = new CanaryConfig { Backend = CanaryBackend.Name, Weight = 100 };
        await using var proxy = await ProxyHarness.StartAsync(Config(Main(), affinity, canary, CanaryBackend));

        var (body, setCookie) = await GetAsync(proxy);
        Assert.Equal("canary", body);
        Assert.NotNull(setCookie);

        proxy.Server.ApplyConfig(Config(Main(), affinity, canary with { Weight = 0 }, CanaryBackend, generation: 2));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("canary", (await GetAsync(proxy, CookiePair(setCookie))).Body);
        }

        // A new client follows the weights: main.
        Assert.NotEqual("canary", (await GetAsync(proxy)).Body);
    }

    [Fact]
    public async Task Legacy_decides_the_canary_on_every_request()
    {
        var affinity = new AffinityConfig { Mode = AffinityMode.Persistent, CanaryBehavior = AffinityCanaryBehavior.Legacy };
        var canary = new CanaryConfig { Backend = CanaryBackend.Name, Weight = 100 };
        await using var proxy = await ProxyHarness.StartAsync(Config(Main(), affinity, canary, CanaryBackend));

        // The canary does not inherit the main Ingress's affinity: no cookie from it.
        var (body, setCookie) = await GetAsync(proxy);
        Assert.Equal("canary", body);
        Assert.Null(setCookie);

        proxy.Server.ApplyConfig(Config(Main(), affinity, canary with { Weight = 0 }, CanaryBackend, generation: 2));
        var (main, mainCookie) = await GetAsync(proxy);
        Assert.NotEqual("canary", main);
        Assert.NotNull(mainCookie);

        // A client pinned to the main backend stays there even when the canary takes all traffic again.
        proxy.Server.ApplyConfig(Config(Main(), affinity, canary, CanaryBackend, generation: 3));
        Assert.Equal(main, (await GetAsync(proxy, CookiePair(mainCookie))).Body);
        Assert.Equal("canary", (await GetAsync(proxy)).Body);
    }
}
