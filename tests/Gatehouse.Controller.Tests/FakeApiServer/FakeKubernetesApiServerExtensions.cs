using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>Typed helpers over the JSON-only fake: store the controller's model objects under their collection.</summary>
internal static class FakeKubernetesApiServerExtensions
{
    public const string Ingresses = "/apis/networking.k8s.io/v1/ingresses";
    public const string IngressClasses = "/apis/networking.k8s.io/v1/ingressclasses";
    public const string Services = "/api/v1/services";
    public const string EndpointSlices = "/apis/discovery.k8s.io/v1/endpointslices";
    public const string Secrets = "/api/v1/secrets";

    public static long Apply<T>(this FakeKubernetesApiServer server, T item)
        where T : KubernetesObject
    {
        var (resource, apiVersion, kind) = Describe<T>();
        item.ApiVersion ??= apiVersion;
        item.Kind ??= kind;
        var json = (JsonObject)JsonSerializer.SerializeToNode(item, KubernetesJsonContext.Default.GetTypeInfo(typeof(T))!)!;
        return server.Store.Upsert(resource, json);
    }

    public static bool Delete<T>(this FakeKubernetesApiServer server, string? @namespace, string name)
        where T : KubernetesObject
        => server.Store.Delete(Describe<T>().Resource, @namespace, name);

    public static string ResourceOf<T>()
        where T : KubernetesObject
        => Describe<T>().Resource;

    private static (string Resource, string ApiVersion, string Kind) Describe<T>()
        => typeof(T).Name switch
        {
            nameof(Ingress) => (Ingresses, "networking.k8s.io/v1", "Ingress"),
            nameof(IngressClass) => (IngressClasses, "networking.k8s.io/v1", "IngressClass"),
            nameof(Service) => (Services, "v1", "Service"),
            nameof(EndpointSlice) => (EndpointSlices, "discovery.k8s.io/v1", "EndpointSlice"),
            nameof(Secret) => (Secrets, "v1", "Secret"),
            _ => throw new ArgumentException($"no collection for {typeof(T).Name}"),
        };
}
