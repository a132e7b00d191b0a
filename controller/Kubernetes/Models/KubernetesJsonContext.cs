using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// Source-generated metadata for the Kubernetes models. Unknown properties are ignored (the API adds
/// fields all the time); nulls are omitted when writing, as the API server does.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(Ingress))]
[JsonSerializable(typeof(IngressClass))]
[JsonSerializable(typeof(Service))]
[JsonSerializable(typeof(EndpointSlice))]
[JsonSerializable(typeof(Secret))]
[JsonSerializable(typeof(IngressCheckSum))]
[JsonSerializable(typeof(SecretCheckSum))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(Event))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(KubernetesList<Ingress>), TypeInfoPropertyName = "IngressList")]
[JsonSerializable(typeof(KubernetesList<IngressClass>), TypeInfoPropertyName = "IngressClassList")]
[JsonSerializable(typeof(KubernetesList<Service>), TypeInfoPropertyName = "ServiceList")]
[JsonSerializable(typeof(KubernetesList<EndpointSlice>), TypeInfoPropertyName = "EndpointSliceList")]
[JsonSerializable(typeof(KubernetesList<Secret>), TypeInfoPropertyName = "SecretList")]
[JsonSerializable(typeof(KubernetesList<IngressCheckSum>), TypeInfoPropertyName = "IngressCheckSumList")]
[JsonSerializable(typeof(KubernetesList<SecretCheckSum>), TypeInfoPropertyName = "SecretCheckSumList")]
[JsonSerializable(typeof(RawWatchEvent))]
[JsonSerializable(typeof(Status))]
public sealed partial class KubernetesJsonContext : JsonSerializerContext;
