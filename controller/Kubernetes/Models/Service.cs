using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>core/v1 Service.</summary>
public sealed class Service : KubernetesObject
{
    [JsonPropertyName("spec")]
    public ServiceSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public ServiceStatus? Status { get; set; }
}

public sealed class ServiceStatus
{
    /// <summary>Same shape as an Ingress's: the addresses a cloud load balancer got.</summary>
    [JsonPropertyName("loadBalancer")]
    public IngressLoadBalancerStatus? LoadBalancer { get; set; }
}

public sealed class ServiceSpec
{
    /// <summary>ClusterIP (default), NodePort, LoadBalancer or ExternalName.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("ports")]
    public List<ServicePort>? Ports { get; set; }

    [JsonPropertyName("externalName")]
    public string? ExternalName { get; set; }

    [JsonPropertyName("clusterIP")]
    public string? ClusterIP { get; set; }
}

public sealed class ServicePort
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("port")]
    public int Port { get; set; }

    [JsonPropertyName("targetPort")]
    public IntOrString? TargetPort { get; set; }

    [JsonPropertyName("protocol")]
    public string? Protocol { get; set; }

    [JsonPropertyName("appProtocol")]
    public string? AppProtocol { get; set; }
}
