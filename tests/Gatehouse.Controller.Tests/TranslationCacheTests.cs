using Gatehouse.Controller;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation;
using Gatehouse.Serialization;

namespace Gatehouse.Tests;

/// <summary>
/// Translating with plans kept from earlier passes must give exactly what a translation from scratch
/// gives: the same config bytes and the same diagnostics in the same order, over a long run of changes
/// that exercise route conflicts, canaries, default backends, access-log switches and bad annotations.
/// </summary>
public sealed class TranslationCacheTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c" };

    private const string Infrastructure = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
        spec: {controller: gatehouse.io/ingress-controller}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{name: http, port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api}
        spec: {ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: ["10.0.0.1"], conditions: {ready: true}}]
        """;

    [Fact]
    public void ReplayingCachedPlansGivesWhatAFreshTranslationGives()
    {
        var random = new Random(20261122);
        var infrastructure = Snapshots.Parse(Infrastructure).ToList();
        var ingresses = new Dictionary<string, Ingress>(StringComparer.Ordinal);
        var cache = new TranslationCache();
        var revision = 0;

        Ingress Make(string name) => (Ingress)Snapshots.Parse(RandomIngress(random, name, ++revision)).Single();

        for (var i = 0; i < 40; i++)
        {
            ingresses[$"ing-{i}"] = Make($"ing-{i}");
        }

        var sawHits = false;
        for (var step = 0; step < 60; step++)
        {
            var changed = 0;
            if (step > 0)
            {
                // A few Ingresses edited (new objects), one deleted, one added; the rest are the same instances.
                foreach (var name in ingresses.Keys.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToList())
                {
                    ingresses[name] = Make(name);
                    changed++;
                }

                ingresses.Remove(ingresses.Keys.ElementAt(random.Next(ingresses.Count)));
                var added = $"ing-{40 + step}";
                ingresses[added] = Make(added);
                changed++;
            }

            var snapshot = Snapshots.FromObjects(infrastructure.Concat(ingresses.Values));
            var fresh = IngressTranslator.Translate(snapshot, Options);
            var cached = IngressTranslator.Translate(snapshot, Options, cache: cache);

            Assert.Equal(ConfigHash.Canonical(fresh.Config), ConfigHash.Canonical(cached.Config));
            Assert.Equal(fresh.Rejections, cached.Rejections);

            // Only what changed is planned; served Ingresses are counted (the class filter comes first).
            if (step > 0)
            {
                Assert.InRange(cache.LastMisses, 0, changed);
                sawHits |= cache.LastHits > 0;
            }
        }

        Assert.True(sawHits);
    }

    [Fact]
    public void AnEditedIngressIsPlannedAgainAndADeletedOneIsForgotten()
    {
        var infrastructure = Snapshots.Parse(Infrastructure).ToList();
        var a = (Ingress)Snapshots.Parse(Ingress("a", "a.test", "/", "web", "")).Single();
        var b = (Ingress)Snapshots.Parse(Ingress("b", "b.test", "/", "web", "")).Single();
        var cache = new TranslationCache();

        IngressTranslator.Translate(Snapshots.FromObjects([.. infrastructure, a, b]), Options, cache: cache);
        Assert.Equal((0, 2), (cache.LastHits, cache.LastMisses));

        var edited = (Ingress)Snapshots.Parse(Ingress("b", "b.test", "/v2", "api", "")).Single();
        var result = IngressTranslator.Translate(Snapshots.FromObjects([.. infrastructure, a, edited]), Options, cache: cache);
        Assert.Equal((1, 1), (cache.LastHits, cache.LastMisses));
        Assert.Equal("/v2", result.Config.Hosts.Single(h => h.Host == "b.test").Routes.Single().Path);

        IngressTranslator.Translate(Snapshots.FromObjects([.. infrastructure, a]), Options, cache: cache);
        IngressTranslator.Translate(Snapshots.FromObjects([.. infrastructure, a, b]), Options, cache: cache);

        // b's first object was dropped when it left the snapshot, so it is planned afresh.
        Assert.Equal((1, 1), (cache.LastHits, cache.LastMisses));
    }

    private static string RandomIngress(Random random, string name, int revision)
    {
        string Pick(params string[] choices) => choices[random.Next(choices.Length)];

        var annotations = new List<string>();
        if (random.Next(4) == 0)
        {
            annotations.Add("nginx.ingress.kubernetes.io/canary: \"true\"");
            annotations.Add(Pick(
                "nginx.ingress.kubernetes.io/canary-by-header: x-canary",
                "nginx.ingress.kubernetes.io/canary-weight: \"" + random.Next(0, 60) + "\"",
                "nginx.ingress.kubernetes.io/canary-weight: \"lots\"",
                "nginx.ingress.kubernetes.io/canary-by-cookie: beta"));
        }

        if (random.Next(5) == 0)
        {
            annotations.Add(Pick("nginx.ingress.kubernetes.io/enable-access-log: \"false\"", "nginx.ingress.kubernetes.io/enable-access-log: \"maybe\""));
        }

        if (random.Next(5) == 0)
        {
            annotations.Add(Pick(
                "nginx.ingress.kubernetes.io/backend-protocol: GRPC",
                "nginx.ingress.kubernetes.io/backend-protocol: SMTP",
                "nginx.ingress.kubernetes.io/load-balance: ewma",
                "nginx.ingress.kubernetes.io/proxy-read-timeout: \"soon\"",
                "nginx.ingress.kubernetes.io/proxy-next-upstream: error timeout http_502"));
        }

        var created = random.Next(3) == 0 ? "" : $", creationTimestamp: \"2026-01-{1 + random.Next(5):00}T00:00:00Z\"";
        var defaultBackend = random.Next(6) == 0 ? "  defaultBackend: {service: {name: web, port: {name: http}}}\n" : "";
        var host = Pick("a.test", "b.test", "c.test", "*.wild.test", "Bad_Host!", "");
        var path = Pick("/", "/api", "/api/", "/v1", "relative");
        var service = Pick("web", "api", "missing");
        var extra = random.Next(4) == 0 ? "\n  - host: d.test" : "";
        return $$$"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: {{{name}}}, annotations: { {{{string.Join(", ", annotations)}}} }{{{created}}}, labels: {revision: "{{{revision}}}"}}
            spec:
            {{{defaultBackend}}}  rules:
              - host: "{{{host}}}"
                http:
                  paths:
                  - path: "{{{path}}}"
                    pathType: {{{Pick("Prefix", "Exact", "ImplementationSpecific", "Regex")}}}
                    backend:
                      service: {name: {{{service}}}, port: {name: http}}{{{extra}}}
            """;
    }

    private static string Ingress(string name, string host, string path, string service, string annotations) => $$$"""
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: {{{name}}}, annotations: { {{{annotations}}} }}
        spec:
          rules:
          - host: {{{host}}}
            http:
              paths:
              - path: {{{path}}}
                pathType: Prefix
                backend:
                  service: {name: {{{service}}}, port: {name: http}}
        """;
}
