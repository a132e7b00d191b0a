using System.Text.Json;
using Gatehouse.Controller;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation;
using Gatehouse.Model;

namespace Gatehouse.Tests;

public sealed class IngressTranslatorTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c" };

    private const string OurClass = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        """;

    private const string OurDefaultClass = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata:
          name: gatehouse
          annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
        spec: {controller: gatehouse.io/ingress-controller}
        """;

    private const string OtherClass = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx}
        spec: {controller: k8s.io/ingress-nginx}
        """;

    private const string WebService = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          ports:
            - {name: http, port: 80, targetPort: 8080}
            - {name: metrics, port: 9090, targetPort: metrics}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-abc, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080}, {name: metrics, port: 9091}]
        endpoints:
          - addresses: [10.0.0.2]
            conditions: {ready: true}
          - addresses: [10.0.0.1]
          - addresses: [10.0.0.3]
            conditions: {ready: false}
        """;

    /// <summary>An Ingress with one rule per (host, path, pathType) triple, all to web:80.</summary>
    private static string Ingress(
        string name, string? className = "gatehouse", string ns = "default", string? created = null,
        string annotations = "{}", params (string? Host, string Path, string PathType)[] paths)
    {
        var rules = string.Join("\n", paths.Select(p => $$"""
                - {{(p.Host is null ? "" : $"host: \"{p.Host}\"")}}
                  http:
                    paths:
                      - path: "{{p.Path}}"
                        pathType: {{p.PathType}}
                        backend:
                          service:
                            name: web
                            port: {number: 80}
            """));
        return $"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {name}
              namespace: {ns}
              annotations: {annotations}
              {(created is null ? "" : "creationTimestamp: " + created)}
            spec:
              {(className is null ? "" : "ingressClassName: " + className)}
              rules:
            {rules}
            """;
    }

    private static TranslationResult Translate(params string[] yaml)
        => IngressTranslator.Translate(Snapshots.FromYaml(yaml), Options);

    private static IEnumerable<string> Hosts(TranslationResult result) => result.Config.Hosts.Select(h => h.Host);

    private static IEnumerable<string> Routes(VirtualHostConfig host) => host.Routes.Select(r => $"{r.Match}:{r.Path}");

    [Fact]
    public void ServesIngressesByClassNameLegacyAnnotationAndDefaultClass()
    {
        string[] ingresses =
        [
            Ingress("by-name", paths: ("by-name.test", "/", "Prefix")),
            Ingress("other", className: "nginx", paths: ("other.test", "/", "Prefix")),
            Ingress("unknown-class", className: "missing", paths: ("unknown.test", "/", "Prefix")),
            Ingress("no-class", className: null, paths: ("no-class.test", "/", "Prefix")),
            Ingress("legacy", className: "nginx", annotations: "{kubernetes.io/ingress.class: gatehouse}", paths: ("legacy.test", "/", "Prefix")),
            Ingress("legacy-other", annotations: "{kubernetes.io/ingress.class: nginx}", paths: ("legacy-other.test", "/", "Prefix")),
        ];

        var withoutDefault = Translate([OurClass, OtherClass, WebService, .. ingresses]);
        Assert.Equal(["by-name.test", "legacy.test"], Hosts(withoutDefault));
        Assert.Empty(withoutDefault.Rejections); // other controllers' Ingresses are ignored, not rejected

        var withDefault = Translate([OurDefaultClass, OtherClass, WebService, .. ingresses]);
        Assert.Equal(["by-name.test", "legacy.test", "no-class.test"], Hosts(withDefault));

        var otherControllerName = IngressTranslator.Translate(
            Snapshots.FromYaml([OurDefaultClass, WebService, .. ingresses]),
            Options with { ControllerName = "example.com/else", IngressClass = "nginx" });
        Assert.Equal(["legacy-other.test"], Hosts(otherControllerName));
    }

    [Fact]
    public void HostsAreLowerCasedWildcardedOrCatchAllAndInvalidOnesRejected()
    {
        var result = Translate(OurClass, WebService, Ingress("hosts", paths:
        [
            ("Shop.Example.COM", "/", "Prefix"),
            ("*.example.com", "/", "Prefix"),
            (null, "/", "Prefix"),
            ("foo.*.example.com", "/", "Prefix"),
            ("10.1.2.3", "/", "Prefix"),
            ("bad_host.example.com", "/", "Prefix"),
            ("*", "/", "Prefix"),
            ("-lead.example.com", "/", "Prefix"),
        ]));

        Assert.Equal(["", "*.example.com", "shop.example.com"], Hosts(result));
        Assert.True(result.Config.Hosts[1].IsWildcard);
        Assert.Equal(5, result.Rejections.Count);
        Assert.All(result.Rejections, d => Assert.Equal(("Ingress", "default", "hosts"), (d.Kind, d.Namespace, d.Name)));
        Assert.Contains(result.Rejections, d => d.Reason.Contains("'10.1.2.3'", StringComparison.Ordinal) && d.Reason.Contains("IP", StringComparison.Ordinal));
        Assert.Contains(result.Rejections, d => d.Reason.Contains("'foo.*.example.com'", StringComparison.Ordinal));
    }

    [Fact]
    public void PathTypesAreValidatedNormalisedAndOrdered()
    {
        var result = Translate(OurClass, WebService, Ingress("paths", paths:
        [
            ("a.test", "/", "Prefix"),
            ("a.test", "/api", "Prefix"),
            ("a.test", "/api/v1/", "Prefix"),
            ("a.test", "/static", "ImplementationSpecific"),
            ("a.test", "/api", "Exact"),
            ("a.test", "/z", "Exact"),
            ("a.test", "/ab", "Prefix"),
            ("a.test", "relative", "Prefix"),
            ("a.test", "/regex", "Regex"),
            ("a.test", "/none", "null"),
        ]));

        var host = Assert.Single(result.Config.Hosts);
        Assert.Equal(
            ["Prefix:/api/v1", "ImplementationSpecific:/static", "Exact:/api", "Prefix:/api", "Prefix:/ab", "Exact:/z", "Prefix:/"],
            Routes(host));
        Assert.Equal(3, result.Rejections.Count);
        Assert.Contains(result.Rejections, d => d.Reason.Contains("must start with '/'", StringComparison.Ordinal));
        Assert.Contains(result.Rejections, d => d.Reason.Contains("'Regex'", StringComparison.Ordinal));
        Assert.Contains(result.Rejections, d => d.Reason.Contains("pathType is required", StringComparison.Ordinal));
    }

    [Fact]
    public void TrailingSlashPrefixIsTheSameRouteAsWithout()
    {
        var result = Translate(OurClass, WebService, Ingress("slashes", paths:
        [
            ("a.test", "/foo/", "Prefix"),
            ("a.test", "/foo", "Prefix"),
            ("a.test", "/foo/", "Exact"),
        ]));

        Assert.Equal(["Exact:/foo/", "Prefix:/foo"], Routes(Assert.Single(result.Config.Hosts)));
        Assert.Contains("already served by an earlier path of the same Ingress", Assert.Single(result.Rejections).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void IngressesForOneHostMergeAndTheOldestWinsConflicts()
    {
        var result = Translate(OurClass, WebService,
            Ingress("a-new", created: "2024-06-01T00:00:00Z", paths: [("shop.test", "/", "Prefix"), ("shop.test", "/new", "Prefix")]),
            Ingress("z-old", created: "2024-01-01T00:00:00Z", paths: [("shop.test", "/", "Prefix"), ("shop.test", "/", "Exact")]));

        var host = Assert.Single(result.Config.Hosts);
        Assert.Equal(
            ["Prefix:/new=default/a-new", "Exact:/=default/z-old", "Prefix:/=default/z-old"],
            host.Routes.Select(r => $"{r.Match}:{r.Path}={r.Ingress}"));
        var rejection = Assert.Single(result.Rejections);
        Assert.Equal("a-new", rejection.Name);
        Assert.Contains("default/z-old", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EqualAgeConflictsAreWonByNamespaceThenName()
    {
        const string Created = "2024-01-01T00:00:00Z";
        var result = Translate(OurClass, WebService,
            WebService.Replace("name: web}", "name: web, namespace: b}", StringComparison.Ordinal),
            Ingress("x", ns: "b", created: Created, paths: ("shop.test", "/", "Prefix")),
            Ingress("y", ns: "a", created: Created, paths: ("shop.test", "/", "Prefix")),
            Ingress("b", ns: "a", created: Created, paths: ("shop.test", "/", "Prefix")));

        Assert.Equal("a/b", Assert.Single(Assert.Single(result.Config.Hosts).Routes).Ingress);
        Assert.Equal(["a/y", "b/x"], result.Rejections.Where(d => d.Reason.Contains("already served", StringComparison.Ordinal)).Select(d => $"{d.Namespace}/{d.Name}").Order(StringComparer.Ordinal));

        // Without timestamps the same rule applies; a timestamped Ingress is older than one without.
        var mixed = Translate(OurClass, WebService,
            Ingress("a", paths: ("shop.test", "/", "Prefix")),
            Ingress("z", created: Created, paths: ("shop.test", "/", "Prefix")));
        Assert.Equal("default/z", Assert.Single(Assert.Single(mixed.Config.Hosts).Routes).Ingress);
    }

    [Fact]
    public void OldestDefaultBackendIsGlobalAndHostOnlyRulesUseTheirIngressDefault()
    {
        var result = Translate(OurClass, WebService, """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: newer, creationTimestamp: "2024-02-01T00:00:00Z"}
            spec:
              ingressClassName: gatehouse
              defaultBackend: {service: {name: web, port: {name: metrics}}}
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: older, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              ingressClassName: gatehouse
              defaultBackend: {service: {name: web, port: {number: 80}}}
              rules:
                - host: only-host.test
            """);

        Assert.Equal("default/web:80", result.Config.DefaultBackend);
        var route = Assert.Single(Assert.Single(result.Config.Hosts).Routes);
        Assert.Equal(("/", PathMatch.Prefix, "default/web:80"), (route.Path, route.Match, route.Backend));

        // The newer Ingress's default backend is referenced by nothing, so it is not in the config.
        Assert.Equal(["default/web:80"], result.Config.Backends.Select(b => b.Name));
        Assert.Empty(result.Rejections);
    }

    [Fact]
    public void ServicePortsResolveByNumberAndByNameToReadyEndpoints()
    {
        var result = Translate(OurClass, WebService, """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: ports}
            spec:
              ingressClassName: gatehouse
              rules:
                - host: a.test
                  http:
                    paths:
                      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
                      - {path: /metrics, pathType: Exact, backend: {service: {name: web, port: {name: metrics}}}}
            """);

        Assert.Empty(result.Rejections);
        Assert.Collection(result.Config.Backends,
            b =>
            {
                Assert.Equal(("default/web:80", "default", "web", "80"), (b.Name, b.Namespace, b.Service, b.Port));
                // 10.0.0.3 is not ready; 10.0.0.1 has unknown readiness, which counts as ready.
                Assert.Equal(["10.0.0.1:8080", "10.0.0.2:8080"], b.Endpoints.Select(e => e.ToString()));
            },
            b =>
            {
                Assert.Equal(("default/web:metrics", "metrics"), (b.Name, b.Port));
                Assert.Equal(["10.0.0.1:9091", "10.0.0.2:9091"], b.Endpoints.Select(e => e.ToString()));
            });
    }

    [Fact]
    public void EndpointsComeFromEveryMatchingSliceIncludingIPv6DeduplicatedAndSorted()
    {
        var result = Translate(OurClass, Ingress("e", paths: ("a.test", "/", "Prefix")), """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-v4, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{port: 8080}]
            endpoints: [{addresses: [10.0.0.9, 10.0.0.1]}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-v4-dup, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: "", port: 8080}]
            endpoints: [{addresses: [10.0.0.1]}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-v6, labels: {kubernetes.io/service-name: web}}
            addressType: IPv6
            ports: [{port: 8080}]
            endpoints: [{addresses: ["fd00:0:0::1"], conditions: {ready: true}}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-fqdn, labels: {kubernetes.io/service-name: web}}
            addressType: FQDN
            ports: [{port: 8080}]
            endpoints: [{addresses: [web.example.com]}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: other, labels: {kubernetes.io/service-name: other}}
            addressType: IPv4
            ports: [{port: 8080}]
            endpoints: [{addresses: [10.9.9.9]}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-elsewhere, namespace: prod, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{port: 8080}]
            endpoints: [{addresses: [10.8.8.8]}]
            """);

        var backend = Assert.Single(result.Config.Backends);
        Assert.Equal(["10.0.0.1:8080", "10.0.0.9:8080", "[fd00::1]:8080"], backend.Endpoints.Select(e => e.ToString()));
    }

    [Fact]
    public void MissingServiceOrPortKeepsTheRouteWithNoEndpointsAndReportsIt()
    {
        var result = Translate(OurClass, WebService, """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: broken, namespace: default}
            spec:
              ingressClassName: gatehouse
              rules:
                - host: a.test
                  http:
                    paths:
                      - {path: /gone, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}
                      - {path: /bad-port, pathType: Prefix, backend: {service: {name: web, port: {name: nope}}}}
                      - {path: /resource, pathType: Prefix, backend: {resource: {kind: Bucket, name: b}}}
            """);

        Assert.Equal(["Prefix:/bad-port", "Prefix:/gone"], Routes(Assert.Single(result.Config.Hosts)));
        Assert.Equal(["default/gone:80", "default/web:nope"], result.Config.Backends.Select(b => b.Name));
        Assert.All(result.Config.Backends, b => Assert.Empty(b.Endpoints));
        Assert.Collection(result.Rejections,
            d => Assert.Contains("service default/gone not found", d.Reason, StringComparison.Ordinal),
            d => Assert.Contains("has no port nope", d.Reason, StringComparison.Ordinal),
            d => Assert.Contains("resource backends are not supported", d.Reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GRPC", BackendProtocol.Grpc, false)]
    [InlineData("https", BackendProtocol.Https, false)]
    [InlineData("GRPCS", BackendProtocol.Grpcs, false)]
    [InlineData("HTTP", BackendProtocol.Http, false)]
    [InlineData("FCGI", BackendProtocol.Http, true)]
    public void BackendProtocolAnnotationSetsTheProtocol(string value, BackendProtocol expected, bool rejected)
    {
        var result = Translate(OurClass, WebService, Ingress("p",
            annotations: $"{{nginx.ingress.kubernetes.io/backend-protocol: {value}}}", paths: ("a.test", "/", "Prefix")));

        Assert.Equal(expected, Assert.Single(result.Config.Backends).Protocol);
        Assert.Equal(rejected, result.Rejections.Any(d => d.Reason.Contains("backend-protocol", StringComparison.Ordinal)));
    }

    [Fact]
    public void AnnotationsAreReadUnderTheConfiguredPrefixOnly()
    {
        var objects = Snapshots.FromYaml(OurClass, WebService, Ingress("p",
            annotations: "{nginx.ingress.kubernetes.io/backend-protocol: GRPC, gatehouse.io/backend-protocol: HTTPS}", paths: ("a.test", "/", "Prefix")));

        Assert.Equal(BackendProtocol.Grpc, Assert.Single(IngressTranslator.Translate(objects, Options).Config.Backends).Protocol);
        Assert.Equal(BackendProtocol.Https, Assert.Single(IngressTranslator.Translate(objects, Options with { AnnotationsPrefix = "gatehouse.io" }).Config.Backends).Protocol);
    }

    [Fact]
    public void EqualInputInAnyOrderGivesIdenticalConfig()
    {
        var objects = Snapshots.FromYaml(OurDefaultClass, WebService,
                Ingress("one", paths: [("b.test", "/x", "Prefix"), ("a.test", "/", "Prefix"), ("*.w.test", "/y", "Exact")]),
                Ingress("two", ns: "default", className: null, paths: [("a.test", "/z", "Exact"), (null, "/", "Prefix")]),
                """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-2, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                ports: [{name: http, port: 8080}]
                endpoints: [{addresses: [10.0.0.5, 10.0.0.4, 10.0.0.2]}]
                """)
            .Ingresses.Values.Cast<Controller.Kubernetes.Models.KubernetesObject>()
            .Concat(Snapshots.FromYaml(OurDefaultClass, WebService).Services.Values)
            .Concat(Snapshots.FromYaml(OurDefaultClass, WebService).IngressClasses.Values)
            .ToList();
        var slices = Snapshots.FromYaml(WebService, """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-2, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, port: 8080}]
            endpoints: [{addresses: [10.0.0.5, 10.0.0.4, 10.0.0.2]}]
            """).EndpointSlices.Values.ToList();
        objects.AddRange(slices);

        string? expected = null;
        var random = new Random(42);
        for (var i = 0; i < 10; i++)
        {
            var shuffled = objects.OrderBy(_ => random.Next()).ToList();
            var config = IngressTranslator.Translate(Snapshots.FromObjects(shuffled), Options).Config;
            var json = JsonSerializer.Serialize(config);
            expected ??= json;
            Assert.Equal(expected, json);
        }

        var first = IngressTranslator.Translate(Snapshots.FromObjects(objects), Options).Config;
        Assert.Equal(["", "*.w.test", "a.test", "b.test"], first.Hosts.Select(h => h.Host));
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5"], first.Backends[0].Endpoints.Select(e => e.Address));
        Assert.True(ConfigEquality.ContentEquals(first, IngressTranslator.Translate(Snapshots.FromObjects(objects), Options).Config));
    }

    [Fact]
    public void ExampleManifestsTranslateCleanly()
    {
        var directory = Path.Combine(RepositoryRoot(), "manifests", "examples");
        var objects = Directory.EnumerateFiles(directory, "*.yaml")
            .SelectMany(file => ManifestParser.Parse(file, File.ReadAllText(file)) is var r && r.Problems.Count == 0
                ? r.Objects
                : throw new InvalidOperationException(string.Join("; ", r.Problems)));

        var result = IngressTranslator.Translate(Snapshots.FromObjects(objects), Options);

        Assert.Empty(result.Rejections);
        Assert.Equal(["api.localtest.me", "demo.localtest.me"], Hosts(result));
        Assert.Equal("demo/echo-a:http", result.Config.DefaultBackend);
        Assert.Equal(
            ["demo/echo-a:http=127.0.0.1:9101", "demo/echo-b:8080=127.0.0.1:9102"],
            result.Config.Backends.Select(b => $"{b.Name}={string.Join(",", b.Endpoints)}"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gatehouse.slnx not found above the test output directory.");
    }
}
