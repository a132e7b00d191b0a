namespace Gatehouse.Tests.EndToEnd.Canary;

/// <summary>The Ingresses of every canary scenario, one host each.</summary>
internal static class CanaryScenarios
{
    private const string P = "nginx.ingress.kubernetes.io/";

    public static IEnumerable<string> All()
    {
        // ingress-nginx: by-header with always/never, plus a weight that must not apply when "never".
        yield return Ingress("header-main", "header.test", "svc-main");
        yield return Ingress("header-canary", "header.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Canary"));

        // Value wins over pattern; values are a "||" list compared case-insensitively.
        yield return Ingress("value-main", "value.test", "svc-main");
        yield return Ingress("value-canary", "value.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Canary"),
            ("canary-by-header-value", "v1||V2"), ("canary-by-header-pattern", ".*"));

        yield return Ingress("pattern-main", "pattern.test", "svc-main");
        yield return Ingress("pattern-canary", "pattern.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Canary"),
            ("canary-by-header-pattern", "^beta-[0-9]+$"));

        yield return Ingress("cookie-main", "cookie.test", "svc-main");
        yield return Ingress("cookie-canary", "cookie.test", "svc-canary", ("canary", "true"), ("canary-by-cookie", "canary_c"));

        yield return Ingress("w0-main", "weight0.test", "svc-main");
        yield return Ingress("w0-canary", "weight0.test", "svc-canary", ("canary", "true"), ("canary-weight", "0"));
        yield return Ingress("w100-main", "weight100.test", "svc-main");
        yield return Ingress("w100-canary", "weight100.test", "svc-canary", ("canary", "true"), ("canary-weight", "100"));
        yield return Ingress("w50-main", "weight50.test", "svc-main");
        yield return Ingress("w50-canary", "weight50.test", "svc-canary", ("canary", "true"), ("canary-weight", "50"));
        yield return Ingress("wt-main", "weighttotal.test", "svc-main");
        yield return Ingress("wt-canary", "weighttotal.test", "svc-canary", ("canary", "true"), ("canary-weight", "1"), ("canary-weight-total", "4"));

        // Header > cookie > weight.
        yield return Ingress("prec-main", "precedence.test", "svc-main");
        yield return Ingress("prec-canary", "precedence.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Canary"),
            ("canary-by-cookie", "canary_c"), ("canary-weight", "100"));

        // A canary with no main Ingress serves nothing; a canary on another host leaves this one alone.
        yield return Ingress("orphan-canary", "orphan.test", "svc-canary", ("canary", "true"), ("canary-weight", "100"));
        yield return Ingress("hosted-main", "hosted.test", "svc-main");
        yield return Ingress("elsewhere-main", "elsewhere.test", "svc-c2");
        yield return Ingress("elsewhere-canary", "elsewhere.test", "svc-canary", ("canary", "true"), ("canary-weight", "100"));

        // Tengine: query and cookie value lists, modulo split, several canaries, actions.
        yield return Ingress("query-main", "query.test", "svc-main");
        yield return Ingress("query-canary", "query.test", "svc-canary", ("canary", "true"), ("canary-by-query", "ver"), ("canary-by-query-value", "2||beta"));
        yield return Ingress("cookieval-main", "cookievalue.test", "svc-main");
        yield return Ingress("cookieval-canary", "cookievalue.test", "svc-canary", ("canary", "true"), ("canary-by-cookie", "user"),
            ("canary-by-cookie-value", "alice||bob"));
        yield return Ingress("mod-main", "mod.test", "svc-main");
        yield return Ingress("mod-canary", "mod.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Uid"),
            ("canary-mod-divisor", "10"), ("canary-mod-relational-operator", "<"), ("canary-mod-remainder", "3"));

        yield return Ingress("multi-main", "multi.test", "svc-main");
        yield return Ingress("multi-header", "multi.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Multi"), ("canary-by-header-value", "h"));
        yield return Ingress("multi-w1", "multi.test", "svc-c2", ("canary", "true"), ("canary-weight", "50"));
        yield return Ingress("multi-w2", "multi.test", "svc-c3", ("canary", "true"), ("canary-weight", "50"));

        yield return Ingress("act-main", "actions.test", "svc-main");
        yield return Ingress("act-canary", "actions.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Act"),
            ("canary-request-add-header", "X-Added:yes||X-Replaced:new"), ("canary-request-append-header", "X-Appended:two"),
            ("canary-request-add-query", "from=canary&k=v"), ("canary-response-add-header", "X-Resp:canary"),
            ("canary-response-append-header", "X-Resp-App:b"), ("canary-weight", "100"));

        // upstream-hash-by over two endpoints.
        yield return Ingress("hash-main", "hash.test", "svc-pair", ("upstream-hash-by", "$arg_id"));

        // Upstream behaviour: cookie affinity, retries past a dead endpoint, and retries switched off.
        yield return Ingress("affinity-main", "affinity.test", "svc-pair", ("affinity", "cookie"), ("session-cookie-name", "GHSESSION"),
            ("affinity-mode", "persistent"), ("session-cookie-max-age", "600"));
        yield return Ingress("affinity-canary", "affinity.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Canary"));
        yield return Ingress("retry-main", "retry.test", "svc-deadpair");
        yield return Ingress("noretry-main", "noretry.test", "svc-deadpair", ("proxy-next-upstream", "off"));

        // Invalid canaries are rejected alone: the main route keeps serving.
        yield return Ingress("bad-main", "invalid.test", "svc-main");
        yield return Ingress("bad-pattern", "invalid.test", "svc-canary", ("canary", "true"), ("canary-by-header", "X-Canary"),
            ("canary-by-header-pattern", "(["), ("canary-weight", "100"));
        yield return Ingress("bad-weight", "invalid.test", "svc-c2", ("canary", "true"), ("canary-weight", "150"));
        yield return Ingress("bad-mod", "invalid.test", "svc-c3", ("canary", "true"), ("canary-by-header", "X-Uid"), ("canary-mod-divisor", "1"), ("canary-weight", "100"));
    }

    public static string Ingress(string name, string host, string service, params (string Name, string Value)[] annotations)
    {
        var lines = annotations.Length == 0
            ? " {}"
            : "\n" + string.Join("\n", annotations.Select(a => $"    {P}{a.Name}: \"{a.Value}\""));
        return $"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {name}
              namespace: default
              annotations:{lines}
            spec:
              ingressClassName: gatehouse
              rules:
                - host: {host}
                  http:
                    paths:
                      - path: /
                        pathType: Prefix
                        backend:
                          service:
                            name: {service}
                            port:
                              name: http
            """;
    }
}
