using Gatehouse.Controller;
using Gatehouse.Controller.Translation;
using Gatehouse.Model;

namespace Gatehouse.Tests;

/// <summary>nginx.ingress.kubernetes.io/enable-access-log → RouteConfig.AccessLog for that Ingress's routes only.</summary>
public sealed class AccessLogAnnotationTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c" };

    private const string Objects = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          ports: [{name: http, port: 80, targetPort: 8080}]
        """;

    private static string Ingress(string name, string host, string annotations) => """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: NAME
          namespace: default
          annotations: ANNOTATIONS
        spec:
          ingressClassName: gatehouse
          defaultBackend: {service: {name: web, port: {number: 80}}}
          rules:
            - host: HOST
              http:
                paths:
                  - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
                  - {path: /api, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
            - host: only-HOST
        """.Replace("NAME", name, StringComparison.Ordinal).Replace("ANNOTATIONS", annotations, StringComparison.Ordinal).Replace("HOST", host, StringComparison.Ordinal);

    [Fact]
    public void False_turns_the_access_log_off_for_every_route_of_that_ingress_only()
    {
        var result = Translate(
            Ingress("quiet", "quiet.test", "{nginx.ingress.kubernetes.io/enable-access-log: \"false\"}"),
            Ingress("loud", "loud.test", "{}"),
            Ingress("explicit", "explicit.test", "{nginx.ingress.kubernetes.io/enable-access-log: \"True\"}"));

        Assert.Empty(result.Rejections);
        var routes = result.Config.Hosts.SelectMany(h => h.Routes.Select(r => (h.Host, Route: r))).ToList();
        Assert.Equal(9, routes.Count); // 2 paths + the host-only rule's default route, per Ingress
        Assert.All(routes, r => Assert.Equal(!r.Host.EndsWith("quiet.test", StringComparison.Ordinal), r.Route.AccessLog));
    }

    [Fact]
    public void An_unparsable_value_is_reported_and_the_access_log_stays_on()
    {
        var result = Translate(Ingress("odd", "odd.test", "{nginx.ingress.kubernetes.io/enable-access-log: \"no\"}"));

        var rejection = Assert.Single(result.Rejections);
        Assert.Equal(DiagnosticCodes.InvalidAnnotation, rejection.Code);
        Assert.Contains("nginx.ingress.kubernetes.io/enable-access-log", rejection.Reason, StringComparison.Ordinal);
        Assert.All(result.Config.Hosts.SelectMany(h => h.Routes), r => Assert.True(r.AccessLog));
    }

    private static TranslationResult Translate(params string[] ingresses)
        => IngressTranslator.Translate(Snapshots.FromYaml([Objects, .. ingresses]), Options);
}
