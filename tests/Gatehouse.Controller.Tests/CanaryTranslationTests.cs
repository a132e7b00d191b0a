using Gatehouse.Controller;
using Gatehouse.Controller.Translation;
using Gatehouse.Model;

namespace Gatehouse.Tests;

/// <summary>Canary Ingresses attach to main routes; invalid ones are rejected alone with a reason.</summary>
public sealed class CanaryTranslationTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c" };

    private const string Class = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        """;

    private static string Service(string name) => $$"""
        apiVersion: v1
        kind: Service
        metadata: {name: {{name}}}
        spec:
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: {{name}}-1
          labels:
            kubernetes.io/service-name: {{name}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: [10.0.0.1]}]
        """;

    private static string Ingress(string name, string service, string host = "shop.test", string prefix = "nginx.ingress.kubernetes.io", params (string Key, string Value)[] annotations)
    {
        var lines = string.Join("", annotations.Select(a => $"\n    {prefix}/{a.Key}: \"{a.Value}\""));
        return $"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {name}
              namespace: default
              annotations: {(lines.Length == 0 ? "{}" : lines)}
            spec:
              ingressClassName: gatehouse
              rules:
                - host: {host}
                  http:
                    paths:
                      - path: /
                        pathType: Prefix
                        backend: {"{"}service: {"{"}name: {service}, port: {"{"}number: 80{"}"}{"}"}{"}"}
            """;
    }

    private static TranslationResult Translate(ControllerOptions options, params string[] yaml)
        => IngressTranslator.Translate(Snapshots.FromYaml(yaml), options);

    private static RouteConfig OnlyRoute(TranslationResult result) => Assert.Single(Assert.Single(result.Config.Hosts).Routes);

    [Fact]
    public void A_canary_attaches_to_the_main_route_whatever_its_age_and_its_backend_is_published()
    {
        // The canary sorts before the main Ingress by name; it must still attach, not claim the route.
        var result = Translate(Options, Class, Service("main"), Service("next"),
            Ingress("a-canary", "next", annotations: [("canary", "true"), ("canary-by-header", "X-Canary"), ("canary-by-header-value", "a || B"),
                ("canary-weight", "10"), ("canary-weight-total", "1000"), ("load-balance", "ewma"), ("proxy-read-timeout", "30")]),
            Ingress("b-main", "main"));

        Assert.Empty(result.Rejections);
        var route = OnlyRoute(result);
        Assert.Equal("default/main:80", route.Backend);
        Assert.Equal("default/b-main", route.Ingress);
        var canary = Assert.Single(route.Canaries);
        Assert.Equal("default/next:80", canary.Backend);
        Assert.Equal("default/a-canary", canary.Ingress);
        Assert.Equal("X-Canary", canary.Header);
        Assert.Equal(["a", "B"], canary.HeaderValues.ToArray());
        Assert.Equal((10, 1000), (canary.Weight, canary.WeightTotal));

        // Only the balancing annotations of a canary are honoured.
        Assert.Equal(LoadBalancingPolicy.Ewma, canary.Upstream!.LoadBalance);
        Assert.Equal(0, canary.Upstream.ReadTimeoutMs);
        Assert.Contains(result.Config.Backends, b => b.Name == "default/next:80");
    }

    [Fact]
    public void A_canary_without_a_main_route_is_reported_and_serves_nothing()
    {
        var result = Translate(Options, Class, Service("next"),
            Ingress("lonely", "next", annotations: [("canary", "true"), ("canary-weight", "100")]));

        Assert.Empty(result.Config.Hosts);
        Assert.Equal(DiagnosticCodes.CanaryWithoutMain, Assert.Single(result.Rejections).Code);
    }

    [Theory]
    [InlineData("canary-weight=150", "must be between 0 and canary-weight-total (100)")]
    [InlineData("canary-weight=-1", "must be between 0 and canary-weight-total")]
    [InlineData("canary-weight-total=0", "must be at least 1")]
    [InlineData("canary-by-header=X-A;canary-mod-divisor=101", "must be between 2 and 100")]
    [InlineData("canary-by-header=X-A;canary-mod-divisor=1", "must be between 2 and 100")]
    [InlineData("canary-by-header=X-A;canary-mod-divisor=10;canary-mod-relational-operator=!=", "is not one of ==, >, >=, <, <=")]
    [InlineData("canary-by-header=X-A;canary-mod-divisor=10;canary-mod-remainder=10", "between 0 and the divisor minus one (9)")]
    [InlineData("canary-mod-divisor=10", "needs")]
    [InlineData("canary-by-header=X-A;canary-by-header-pattern=([", "is not a valid regular expression")]
    [InlineData("canary-by-header-value=x", "needs nginx.ingress.kubernetes.io/canary-by-header")]
    [InlineData("canary-by-header=X-A;canary-request-add-header=novalue", "is not name:value")]
    [InlineData("canary-request-add-query=a b=c", "is not k=v")]
    [InlineData("canary-weight=ten", "is not an integer")]
    public void Invalid_canaries_are_rejected_alone_and_the_main_route_keeps_serving(string annotations, string reason)
    {
        var pairs = annotations.Split(';').Select(p => p.Split('=', 2)).Select(p => (p[0], p[1])).Prepend(("canary", "true")).ToArray();
        var result = Translate(Options, Class, Service("main"), Service("next"),
            Ingress("main", "main"), Ingress("bad", "next", annotations: pairs));

        var rejection = Assert.Single(result.Rejections);
        Assert.Equal(DiagnosticCodes.InvalidCanary, rejection.Code);
        Assert.Equal("bad", rejection.Name);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        var route = OnlyRoute(result);
        Assert.Equal("default/main:80", route.Backend);
        Assert.Empty(route.Canaries);
    }

    [Fact]
    public void An_unparsable_canary_flag_never_claims_the_route()
    {
        var result = Translate(Options, Class, Service("next"), Ingress("odd", "next", annotations: [("canary", "yes")]));
        Assert.Empty(result.Config.Hosts);
        Assert.Equal(DiagnosticCodes.InvalidCanary, Assert.Single(result.Rejections).Code);
    }

    [Fact]
    public void Weight_canaries_on_one_path_share_one_total_and_the_canary_limit_is_enforced()
    {
        var result = Translate(Options with { MaxCanariesPerPath = 3 }, Class, Service("main"), Service("next"),
            Ingress("main", "main"),
            Ingress("c1", "next", annotations: [("canary", "true"), ("canary-weight", "60")]),
            Ingress("c2", "next", annotations: [("canary", "true"), ("canary-weight", "50")]),
            Ingress("c3", "next", annotations: [("canary", "true"), ("canary-weight", "5"), ("canary-weight-total", "10")]),
            Ingress("c4", "next", annotations: [("canary", "true"), ("canary-weight", "40")]),
            Ingress("c5", "next", annotations: [("canary", "true"), ("canary-by-cookie", "x")]),
            Ingress("c6", "next", annotations: [("canary", "true"), ("canary-by-query", "x")]));

        var route = OnlyRoute(result);
        Assert.Equal(["default/c1", "default/c4", "default/c5"], route.Canaries.Select(c => c.Ingress));
        Assert.Equal(
            [("c2", DiagnosticCodes.InvalidCanary), ("c3", DiagnosticCodes.InvalidCanary), ("c6", DiagnosticCodes.CanaryLimit)],
            result.Rejections.Select(r => (r.Name, r.Code)));
    }

    [Fact]
    public void The_annotations_prefix_applies_to_canary_annotations()
    {
        var options = Options with { AnnotationsPrefix = "gatehouse.io" };
        var result = Translate(options, Class, Service("main"), Service("next"),
            Ingress("main", "main"),
            Ingress("ignored", "next", prefix: "nginx.ingress.kubernetes.io", annotations: [("canary", "true")]),
            Ingress("canary", "next", prefix: "gatehouse.io", annotations: [("canary", "true"), ("canary-by-query", "v"), ("canary-by-query-value", "1")]));

        // Under another prefix, the nginx-prefixed Ingress is a plain (conflicting) main Ingress.
        var route = OnlyRoute(result);
        Assert.Equal("default/canary", Assert.Single(route.Canaries).Ingress);
        Assert.Equal(DiagnosticCodes.PathConflict, Assert.Single(result.Rejections).Code);
    }

    [Fact]
    public void Upstream_annotations_become_the_route_policy_and_bad_values_are_reported_with_defaults_kept()
    {
        var result = Translate(Options, Class, Service("main"),
            Ingress("main", "main", annotations:
            [
                ("upstream-hash-by", "$host$arg_id"), ("affinity", "cookie"), ("session-cookie-name", "route"),
                ("session-cookie-samesite", "lax"), ("session-cookie-max-age", "60"), ("affinity-mode", "persistent"),
                ("proxy-connect-timeout", "5"), ("proxy-send-timeout", "250ms"), ("proxy-next-upstream", "error http_502 non_idempotent"),
                ("proxy-next-upstream-tries", "2"), ("proxy-read-timeout", "soon"), ("load-balance", "least_conn"),
            ]));

        var policy = OnlyRoute(result).Upstream!;
        Assert.Equal("$host$arg_id", policy.HashBy);
        Assert.Equal(LoadBalancingPolicy.RoundRobin, policy.LoadBalance);
        Assert.Equal(new AffinityConfig { CookieName = "route", SameSite = "Lax", MaxAgeSeconds = 60, Mode = AffinityMode.Persistent }, policy.Affinity);
        Assert.Equal((5000, 250, 0), (policy.ConnectTimeoutMs, policy.SendTimeoutMs, policy.ReadTimeoutMs));
        Assert.Equal(NextUpstreamConditions.Error | NextUpstreamConditions.Http502 | NextUpstreamConditions.NonIdempotent, policy.NextUpstream);
        Assert.Equal(2, policy.NextUpstreamTries);
        Assert.Equal(2, result.Rejections.Count);
        Assert.All(result.Rejections, r => Assert.Equal(DiagnosticCodes.InvalidAnnotation, r.Code));
    }

    [Theory]
    [InlineData("$request_uri", true)]
    [InlineData("$remote_addr-$http_x_user-${cookie_sid}", true)]
    [InlineData("$binary_remote_addr", false)]
    [InlineData("static", false)]
    public void Hash_keys_name_only_supported_variables(string template, bool valid)
    {
        var result = Translate(Options, Class, Service("main"), Ingress("main", "main", annotations: [("upstream-hash-by", template)]));
        Assert.Equal(valid, OnlyRoute(result).Upstream?.HashBy == template);
        Assert.Equal(valid ? 0 : 1, result.Rejections.Count);
    }
}
