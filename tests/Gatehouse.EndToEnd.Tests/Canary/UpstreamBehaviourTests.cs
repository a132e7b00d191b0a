using System.Net;
using static Gatehouse.Tests.EndToEnd.Canary.CanaryStackFixture;

namespace Gatehouse.Tests.EndToEnd.Canary;

/// <summary>
/// Affinity and proxy-next-upstream annotations with real processes: Ingress manifests → controller →
/// channel → proxy → named echo backends.
/// </summary>
public sealed class UpstreamBehaviourTests(CanaryStackFixture fixture) : IClassFixture<CanaryStackFixture>
{
    [Fact]
    public async Task Affinity_cookie_pins_a_client_to_one_endpoint_and_affinity_comes_before_the_canary()
    {
        var (status, first, _, response) = await fixture.SendAsync("affinity.test", "/");
        Assert.Equal(HttpStatusCode.OK, status);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        response.Dispose();
        Assert.StartsWith("GHSESSION=", setCookie, StringComparison.Ordinal);
        Assert.Contains("; Max-Age=600", setCookie, StringComparison.Ordinal);
        var cookie = setCookie[..setCookie.IndexOf(';')];

        // svc-pair has two endpoints; without affinity round robin alternates between them.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(first, await fixture.BackendAsync("affinity.test", "/", ("Cookie", cookie)));
        }

        // ingress-nginx order: a client pinned to the main backend stays there even with the canary header.
        Assert.Equal(first, await fixture.BackendAsync("affinity.test", "/", ("Cookie", cookie), ("X-Canary", "always")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("affinity.test", "/", ("X-Canary", "always")));
    }

    [Fact]
    public async Task A_refused_endpoint_is_retried_on_the_next_one_unless_retries_are_off()
    {
        // svc-deadpair: a port nothing listens on, then echo-main. The default proxy-next-upstream
        // (error timeout) moves every request on to the live endpoint.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(Main, await fixture.BackendAsync("retry.test", "/"));
        }

        var metrics = await fixture.Stack.Client.GetStringAsync($"http://127.0.0.1:{fixture.Stack.ProxyAdminPort}/metrics");
        Assert.Contains("gatehouse_upstream_retries_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_retries_off_the_dead_endpoint_costs_a_502_and_is_then_ejected()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            var (status, _, _, response) = await fixture.SendAsync("noretry.test", "/");
            response.Dispose();
            statuses.Add(status);
        }

        // One request meets the dead endpoint and fails; passive health then keeps it out of rotation.
        Assert.Contains(HttpStatusCode.BadGateway, statuses);
        Assert.Equal(HttpStatusCode.OK, statuses[^1]);
        Assert.Equal(HttpStatusCode.OK, statuses[^2]);
    }
}
