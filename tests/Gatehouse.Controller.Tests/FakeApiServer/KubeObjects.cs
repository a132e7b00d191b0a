using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>Minimal objects of each kind for API-server tests; a label distinguishes versions of one object.</summary>
internal static class KubeObjects
{
    public static Ingress Ingress(string @namespace, string name, string host = "example.test")
        => new()
        {
            Metadata = Meta(@namespace, name),
            Spec = new IngressSpec { Rules = [new IngressRule { Host = host }] },
        };

    public static IngressClass IngressClass(string name, string controller = "gatehouse.io/ingress-controller")
        => new() { Metadata = Meta(null, name), Spec = new IngressClassSpec { Controller = controller } };

    public static Service Service(string @namespace, string name, int port = 80)
        => new() { Metadata = Meta(@namespace, name), Spec = new ServiceSpec { Ports = [new ServicePort { Port = port }] } };

    public static EndpointSlice EndpointSlice(string @namespace, string name, string address = "10.0.0.1")
        => new() { Metadata = Meta(@namespace, name), AddressType = "IPv4", Endpoints = [new Endpoint { Addresses = [address] }] };

    public static Secret Secret(string @namespace, string name, string type = "kubernetes.io/tls", string certificate = "Y2VydA==")
        => new() { Metadata = Meta(@namespace, name), Type = type, Data = new() { ["tls.crt"] = certificate, ["tls.key"] = "a2V5" } };

    private static ObjectMeta Meta(string? @namespace, string name) => new() { Namespace = @namespace, Name = name };
}
