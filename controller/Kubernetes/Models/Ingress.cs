using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 Ingress.</summary>
public sealed class Ingress : KubernetesObject
{
    [JsonPropertyName("spec")]
    public IngressSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public IngressStatus? Status { get; set; }
}

public sealed class IngressSpec
{
    [JsonPropertyName("ingressClassName")]
    public string? IngressClassName { get; set; }

    [JsonPropertyName("defaultBackend")]
    public IngressBackend? DefaultBackend { get; set; }

    [JsonPropertyName("tls")]
    public List<IngressTls>? Tls { get; set; }

    [JsonPropertyName("rules")]
    public List<IngressRule>? Rules { get; set; }
}

public sealed class IngressTls
{
    [JsonPropertyName("hosts")]
    public List<string>? Hosts { get; set; }

    [JsonPropertyName("secretName")]
    public string? SecretName { get; set; }
}

public sealed class IngressRule
{
    [JsonPropertyName("host")]
    public string? Host { get; set; }

    [JsonPropertyName("http")]
    public HttpIngressRuleValue? Http { get; set; }
}

public sealed class HttpIngressRuleValue
{
    [JsonPropertyName("paths")]
    public List<HttpIngressPath>? Paths { get; set; }
}

public sealed class HttpIngressPath
{
    [JsonPropertyName("path")]
    public string? Path { get; set; }

    /// <summary>"Exact", "Prefix" or "ImplementationSpecific"; required in v1.</summary>
    [JsonPropertyName("pathType")]
    public string? PathType { get; set; }

    [JsonPropertyName("backend")]
    public IngressBackend? Backend { get; set; }
}

/// <summary>Either a service or a resource (TypedLocalObjectReference), never both.</summary>
public sealed class IngressBackend
{
    [JsonPropertyName("service")]
    public IngressServiceBackend? Service { get; set; }

    [JsonPropertyName("resource")]
    public TypedLocalObjectReference? Resource { get; set; }
}

public sealed class IngressServiceBackend
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("port")]
    public ServiceBackendPort? Port { get; set; }
}

/// <summary>A Service port by number or by name (exactly one is set).</summary>
public sealed class ServiceBackendPort
{
    [JsonPropertyName("number")]
    public int? Number { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

public sealed class TypedLocalObjectReference
{
    [JsonPropertyName("apiGroup")]
    public string? ApiGroup { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

public sealed class IngressStatus
{
    [JsonPropertyName("loadBalancer")]
    public IngressLoadBalancerStatus? LoadBalancer { get; set; }
}

public sealed class IngressLoadBalancerStatus
{
    [JsonPropertyName("ingress")]
    public List<IngressLoadBalancerIngress>? Ingress { get; set; }
}

public sealed class IngressLoadBalancerIngress
{
    [JsonPropertyName("ip")]
    public string? Ip { get; set; }

    [JsonPropertyName("hostname")]
    public string? Hostname { get; set; }
}
