using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Controller.Kubernetes.Client;
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
    public const string Leases = "/apis/coordination.k8s.io/v1/leases";
    public const string CoreEvents = "/api/v1/events";

    /// <summary>Every request the server received needs a permission the controller declares in <see cref="KubernetesApiCalls"/> (so RBAC grants it).</summary>
    public static void AssertRequestsWithinDeclaredCalls(this FakeKubernetesApiServer server)
    {
        var undeclared = server.Requests
            .Select(r => (Request: r, Permission: KubernetesApiCalls.Classify(r.Method, r.Path, r.Watch)))
            .Where(r => !KubernetesApiCalls.All.Contains(r.Permission))
            .Select(r => $"{r.Request.Method} {r.Request.Path} needs {r.Permission}")
            .ToList();
        Assert.Empty(undeclared);
    }

    /// <summary>The stored object as a typed model, or null.</summary>
    public static T? Get<T>(this FakeKubernetesApiServer server, string resource, string? @namespace, string name)
        where T : KubernetesObject
        => server.Store.Get(resource, @namespace, name) is { } json
            ? (T?)json.Deserialize(KubernetesJsonContext.Default.GetTypeInfo(typeof(T))!)
            : null;

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
