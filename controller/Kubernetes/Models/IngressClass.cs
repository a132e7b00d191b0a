using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 IngressClass.</summary>
public sealed class IngressClass : KubernetesObject
{
    /// <summary>Annotation that makes a class the default for Ingresses without ingressClassName.</summary>
    public const string IsDefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

    [JsonPropertyName("spec")]
    public IngressClassSpec? Spec { get; set; }
}

public sealed class IngressClassSpec
{
    [JsonPropertyName("controller")]
    public string? Controller { get; set; }

    [JsonPropertyName("parameters")]
    public IngressClassParametersReference? Parameters { get; set; }
}

public sealed class IngressClassParametersReference
{
    [JsonPropertyName("apiGroup")]
    public string? ApiGroup { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("scope")]
    public string? Scope { get; set; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }
}
