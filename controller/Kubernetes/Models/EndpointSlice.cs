using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>discovery.k8s.io/v1 EndpointSlice.</summary>
public sealed class EndpointSlice : KubernetesObject
{
    /// <summary>Label linking a slice to the Service it belongs to.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>"IPv4", "IPv6" or "FQDN".</summary>
    [JsonPropertyName("addressType")]
    public string? AddressType { get; set; }

    [JsonPropertyName("endpoints")]
    public List<Endpoint>? Endpoints { get; set; }

    [JsonPropertyName("ports")]
    public List<EndpointPort>? Ports { get; set; }
}

public sealed class Endpoint
{
    [JsonPropertyName("addresses")]
    public List<string>? Addresses { get; set; }

    [JsonPropertyName("conditions")]
    public EndpointConditions? Conditions { get; set; }

    [JsonPropertyName("nodeName")]
    public string? NodeName { get; set; }
}

/// <summary>Null conditions mean "unknown"; consumers treat an unknown ready as ready.</summary>
public sealed class EndpointConditions
{
    [JsonPropertyName("ready")]
    public bool? Ready { get; set; }

    [JsonPropertyName("serving")]
    public bool? Serving { get; set; }

    [JsonPropertyName("terminating")]
    public bool? Terminating { get; set; }
}

public sealed class EndpointPort
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("port")]
    public int? Port { get; set; }

    [JsonPropertyName("protocol")]
    public string? Protocol { get; set; }

    [JsonPropertyName("appProtocol")]
    public string? AppProtocol { get; set; }
}
