using System.Text.Json.Nodes;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// The API calls the controller makes: list and watch for informers; get, create, replace and merge
/// patch for Leases, Events and Ingress status. Kept this small so our thin client can be swapped for
/// a full one (e.g. KubernetesClient) behind it. Paths are collection paths such as "/api/v1/services"
/// or "/apis/networking.k8s.io/v1/namespaces/web/ingresses", or object paths below them.
/// Which (group, resource, verb) each caller uses is listed in <see cref="KubernetesApiCalls"/>.
/// </summary>
public interface IKubernetesApi
{
    /// <summary>One page of a list. Throws <see cref="KubernetesApiException"/> when the server refuses.</summary>
    Task<KubernetesList<T>> ListAsync<T>(string path, ListRequest request, CancellationToken cancellationToken)
        where T : KubernetesObject;

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/>, yielding events as their lines arrive. Ends when
    /// the server closes the stream (e.g. after <paramref name="timeoutSeconds"/>); an ERROR event is
    /// yielded, not thrown. Throws <see cref="KubernetesApiException"/> when the server refuses the watch.
    /// <paramref name="opened"/> runs once the server accepted the watch (before any event arrives).
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        string path,
        string resourceVersion,
        string? fieldSelector,
        string? labelSelector,
        bool allowWatchBookmarks,
        int? timeoutSeconds,
        Action? opened,
        CancellationToken cancellationToken)
        where T : KubernetesObject;

    /// <summary>Reads one object; null when it does not exist.</summary>
    Task<T?> GetAsync<T>(string path, CancellationToken cancellationToken)
        where T : KubernetesObject;

    /// <summary>POSTs a new object to its collection; 409 (<see cref="KubernetesApiException.IsConflict"/>) when it exists.</summary>
    Task<T> CreateAsync<T>(string collectionPath, T item, CancellationToken cancellationToken)
        where T : KubernetesObject;

    /// <summary>PUTs the whole object. Its metadata.resourceVersion makes the write conditional: 409 when someone wrote in between.</summary>
    Task<T> ReplaceAsync<T>(string path, T item, CancellationToken cancellationToken)
        where T : KubernetesObject;

    /// <summary>Applies a JSON merge patch (RFC 7386: lists are replaced whole, null deletes a key).</summary>
    Task<T> PatchAsync<T>(string path, JsonObject patch, CancellationToken cancellationToken)
        where T : KubernetesObject;
}
