namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>Kubernetes manifests as a user would write them, for tests.</summary>
internal static class Manifests
{
    public const string IngressClass = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata:
          name: gatehouse
          annotations:
            ingressclass.kubernetes.io/is-default-class: "true"
        spec:
          controller: gatehouse.io/ingress-controller
        """;

    /// <summary>A Service with one named port and an EndpointSlice with ready loopback endpoints.</summary>
    public static string Service(string name, params int[] endpointPorts)
    {
        // All endpoints of one slice share a port; more than one port means one slice per port.
        var slices = string.Join("\n---\n", endpointPorts.Select((port, i) => $"""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: {name}-{i}
              namespace: default
              labels:
                kubernetes.io/service-name: {name}
            addressType: IPv4
            ports:
              - name: http
                port: {port}
                protocol: TCP
            endpoints:
              - addresses: ["127.0.0.1"]
                conditions:
                  ready: true
            """));
        return $"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {name}
              namespace: default
            spec:
              ports:
                - name: http
                  port: 80
                  targetPort: http
            ---
            {slices}
            """;
    }

    public static string Ingress(string name, string host, params (string Path, string PathType, string Service)[] paths)
    {
        var rules = string.Join("\n", paths.Select(p => $"""
                      - path: {p.Path}
                        pathType: {p.PathType}
                        backend:
                          service:
                            name: {p.Service}
                            port:
                              name: http
            """));
        return $"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: {name}
              namespace: default
              creationTimestamp: "2026-01-01T00:00:00Z"
            spec:
              ingressClassName: gatehouse
              rules:
                - host: {host}
                  http:
                    paths:
            {rules}
            """;
    }
}
