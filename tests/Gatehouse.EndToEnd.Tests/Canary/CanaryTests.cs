using System.Net;
using System.Text.Json;
using static Gatehouse.Tests.EndToEnd.Canary.CanaryStackFixture;

namespace Gatehouse.Tests.EndToEnd.Canary;

/// <summary>
/// ingress-nginx's canary semantics and Tengine-Ingress's extensions with real processes: Ingress
/// manifests → controller → channel → proxy → named echo backends (main vs canary by X-Echo-Name).
/// Weighted cases send hundreds of requests and allow about five binomial standard deviations.
/// </summary>
public sealed class CanaryTests(CanaryStackFixture fixture) : IClassFixture<CanaryStackFixture>
{
    [Fact]
    public async Task Header_always_goes_to_the_canary_never_to_main_and_other_values_fall_through()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("header.test", "/", ("X-Canary", "always")));
        Assert.Equal(Main, await fixture.BackendAsync("header.test", "/", ("X-Canary", "never")));
        Assert.Equal(Main, await fixture.BackendAsync("header.test", "/", ("X-Canary", "maybe")));
        Assert.Equal(Main, await fixture.BackendAsync("header.test", "/"));
        Assert.Equal(Main, await fixture.BackendAsync("header.test", "/", ("X-Other", "always")));

        // Per-host metrics tell the canary's share apart: its own series, labelled with the canary Ingress.
        using var client = new HttpClient();
        var lines = (await client.GetStringAsync(new Uri($"http://127.0.0.1:{fixture.Stack.ProxyAdminPort}/metrics")))
            .Split('\n')
            .Where(l => l.StartsWith("gatehouse_requests_total{", StringComparison.Ordinal) && l.Contains("host=\"header.test\"", StringComparison.Ordinal))
            .ToList();
        var canary = Assert.Single(lines, l => l.Contains("canary=\"true\"", StringComparison.Ordinal));
        Assert.Contains("ingress=\"header-canary\"", canary, StringComparison.Ordinal);
        Assert.Contains("service=\"svc-canary\"", canary, StringComparison.Ordinal);
        Assert.EndsWith(" 1", canary, StringComparison.Ordinal);
        var main = Assert.Single(lines, l => l.Contains("canary=\"false\"", StringComparison.Ordinal));
        Assert.EndsWith(" 4", main, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Header_value_list_matches_case_insensitively_and_wins_over_the_pattern()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("value.test", "/", ("X-Canary", "v1")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("value.test", "/", ("X-Canary", "v2")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("value.test", "/", ("X-Canary", "V1")));

        // The pattern ".*" would take these; the value is set, so the pattern is not used.
        Assert.Equal(Main, await fixture.BackendAsync("value.test", "/", ("X-Canary", "v3")));
        Assert.Equal(Main, await fixture.BackendAsync("value.test", "/", ("X-Canary", "always")));
    }

    [Fact]
    public async Task Header_pattern_matches_send_to_the_canary_and_non_matches_fall_through()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("pattern.test", "/", ("X-Canary", "beta-12")));
        Assert.Equal(Main, await fixture.BackendAsync("pattern.test", "/", ("X-Canary", "beta-x")));
        Assert.Equal(Main, await fixture.BackendAsync("pattern.test", "/", ("X-Canary", "xbeta-1")));
    }

    [Fact]
    public async Task Cookie_always_goes_to_the_canary_and_never_to_main()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("cookie.test", "/", ("Cookie", "a=b; canary_c=always")));
        Assert.Equal(Main, await fixture.BackendAsync("cookie.test", "/", ("Cookie", "canary_c=never")));
        Assert.Equal(Main, await fixture.BackendAsync("cookie.test", "/", ("Cookie", "canary_c=yes")));
        Assert.Equal(Main, await fixture.BackendAsync("cookie.test", "/", ("Cookie", "xcanary_c=always")));
    }

    [Fact]
    public async Task Weight_0_never_and_weight_100_always_selects_the_canary()
    {
        var none = await fixture.DistributionAsync("weight0.test", 200);
        Assert.Equal(200, none.GetValueOrDefault(Main));
        var all = await fixture.DistributionAsync("weight100.test", 200);
        Assert.Equal(200, all.GetValueOrDefault(CanaryA));
    }

    [Fact]
    public async Task Weight_50_splits_about_evenly()
    {
        // n=1000, p=0.5: sd = 15.8 requests; ±80 is about five sd.
        var counts = await fixture.DistributionAsync("weight50.test", 1000);
        Assert.InRange(counts.GetValueOrDefault(CanaryA), 420, 580);
        Assert.Equal(1000, counts.GetValueOrDefault(CanaryA) + counts.GetValueOrDefault(Main));
    }

    [Fact]
    public async Task Weight_total_changes_the_denominator()
    {
        // weight 1 of 4: p=0.25, n=1000, sd = 13.7; ±60 is over four sd.
        var counts = await fixture.DistributionAsync("weighttotal.test", 1000);
        Assert.InRange(counts.GetValueOrDefault(CanaryA), 190, 310);
    }

    [Fact]
    public async Task Header_wins_over_cookie_which_wins_over_weight()
    {
        Assert.Equal(Main, await fixture.BackendAsync("precedence.test", "/", ("X-Canary", "never"), ("Cookie", "canary_c=always")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("precedence.test", "/", ("X-Canary", "always"), ("Cookie", "canary_c=never")));
        Assert.Equal(Main, await fixture.BackendAsync("precedence.test", "/", ("Cookie", "canary_c=never")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("precedence.test", "/", ("X-Canary", "other"), ("Cookie", "canary_c=other")));
    }

    [Fact]
    public async Task A_canary_without_a_main_Ingress_serves_nothing_and_never_catches_other_hosts()
    {
        var (status, backend, _, response) = await fixture.SendAsync("orphan.test", "/");
        response.Dispose();
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(backend);

        var hosted = await fixture.DistributionAsync("hosted.test", 50);
        Assert.Equal(50, hosted.GetValueOrDefault(Main));

        // The same weight-100 canary on a host with a main Ingress does take over (positive control).
        Assert.Equal(CanaryA, await fixture.BackendAsync("elsewhere.test", "/"));
        await fixture.Stack.Controller!.WaitForLineAsync("no main Ingress serves", Infrastructure.GatehouseStack.Patience);
    }

    [Fact]
    public async Task Query_value_list_selects_the_canary()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("query.test", "/?a=1&ver=2"));
        Assert.Equal(CanaryA, await fixture.BackendAsync("query.test", "/?ver=BETA"));
        Assert.Equal(Main, await fixture.BackendAsync("query.test", "/?ver=3"));
        Assert.Equal(Main, await fixture.BackendAsync("query.test", "/?version=2"));
        Assert.Equal(Main, await fixture.BackendAsync("query.test", "/"));
    }

    [Fact]
    public async Task Cookie_value_list_selects_the_canary()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("cookievalue.test", "/", ("Cookie", "user=alice")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("cookievalue.test", "/", ("Cookie", "x=1; user=Bob")));
        Assert.Equal(Main, await fixture.BackendAsync("cookievalue.test", "/", ("Cookie", "user=carol")));
        Assert.Equal(Main, await fixture.BackendAsync("cookievalue.test", "/", ("Cookie", "user=always")));
    }

    [Fact]
    public async Task Modulo_split_compares_the_remainder_of_the_numeric_value()
    {
        // divisor 10, "<", remainder 3.
        Assert.Equal(CanaryA, await fixture.BackendAsync("mod.test", "/", ("X-Uid", "12")));
        Assert.Equal(CanaryA, await fixture.BackendAsync("mod.test", "/", ("X-Uid", "40")));
        Assert.Equal(Main, await fixture.BackendAsync("mod.test", "/", ("X-Uid", "13")));
        Assert.Equal(Main, await fixture.BackendAsync("mod.test", "/", ("X-Uid", "99")));
        Assert.Equal(Main, await fixture.BackendAsync("mod.test", "/", ("X-Uid", "abc")));
    }

    [Fact]
    public async Task Several_canaries_on_one_path_try_rules_first_and_share_one_weight_total()
    {
        Assert.Equal(CanaryA, await fixture.BackendAsync("multi.test", "/", ("X-Multi", "h")));

        // Weights 50 + 50 of 100: main gets nothing, each weighted canary about half (sd = 10 at n=400).
        var counts = await fixture.DistributionAsync("multi.test", 400);
        Assert.Equal(0, counts.GetValueOrDefault(Main));
        Assert.Equal(0, counts.GetValueOrDefault(CanaryA));
        Assert.InRange(counts.GetValueOrDefault(CanaryB), 150, 250);
        Assert.InRange(counts.GetValueOrDefault(CanaryC), 150, 250);
    }

    [Fact]
    public async Task Actions_change_the_request_and_response_only_when_a_rule_matched()
    {
        var (status, backend, body, response) = await fixture.SendAsync("actions.test", "/p?q=1",
            ("X-Act", "always"), ("X-Replaced", "old"), ("X-Appended", "one"));
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(CanaryA, backend);
            using var echo = JsonDocument.Parse(body);
            Assert.Equal("/p?q=1&from=canary&k=v", echo.RootElement.GetProperty("rawTarget").GetString());
            var headers = echo.RootElement.GetProperty("headers");
            Assert.Equal("yes", headers.GetProperty("X-Added").GetString());
            Assert.Equal("new", headers.GetProperty("X-Replaced").GetString());
            Assert.Equal("one, two", headers.GetProperty("X-Appended").GetString());
            Assert.Equal("canary", Assert.Single(response.Headers.GetValues("X-Resp")));
            Assert.Equal("b", Assert.Single(response.Headers.GetValues("X-Resp-App")));
        }

        // Chosen by weight (100) rather than by a rule: no actions.
        var (_, weighted, weightedBody, weightedResponse) = await fixture.SendAsync("actions.test", "/p?q=1");
        using (weightedResponse)
        {
            Assert.Equal(CanaryA, weighted);
            using var echo = JsonDocument.Parse(weightedBody);
            Assert.Equal("/p?q=1", echo.RootElement.GetProperty("rawTarget").GetString());
            Assert.False(echo.RootElement.GetProperty("headers").TryGetProperty("X-Added", out _));
            Assert.False(weightedResponse.Headers.Contains("X-Resp"));
        }
    }

    [Fact]
    public async Task Invalid_canaries_are_rejected_alone_and_the_main_route_keeps_serving()
    {
        // Each invalid canary has weight 100 (or an "always"-able header): had any been attached, it would take traffic.
        var counts = await fixture.DistributionAsync("invalid.test", 50, ("X-Canary", "always"), ("X-Uid", "10"));
        Assert.Equal(50, counts.GetValueOrDefault(Main));
        var controller = fixture.Stack.Controller!;
        await controller.WaitForLineAsync("not a valid regular expression", Infrastructure.GatehouseStack.Patience);
        await controller.WaitForLineAsync("canary-weight: '150' must be between 0 and canary-weight-total (100)", Infrastructure.GatehouseStack.Patience);
        await controller.WaitForLineAsync("canary-mod-divisor: '1' must be between 2 and 100", Infrastructure.GatehouseStack.Patience);
    }

    [Fact]
    public async Task Upstream_hash_by_keeps_each_key_on_one_endpoint_and_spreads_keys()
    {
        var owners = new Dictionary<int, string?>();
        for (var id = 0; id < 40; id++)
        {
            owners[id] = await fixture.BackendAsync("hash.test", $"/?id={id}");
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var (id, owner) in owners)
            {
                Assert.Equal(owner, await fixture.BackendAsync("hash.test", $"/x?z={round}&id={id}"));
            }
        }

        // Round robin would alternate; hashing must still use both endpoints across 40 keys.
        Assert.Equal([CanaryB, CanaryC], owners.Values.Distinct().Order(StringComparer.Ordinal));
    }
}
