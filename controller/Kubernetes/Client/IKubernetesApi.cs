using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// The two API calls an informer needs. Kept this small so our thin client can be swapped for a full
/// one (e.g. KubernetesClient) behind it. Paths are collection paths such as "/api/v1/services" or
/// "/apis/networking.k8s.io/v1/namespaces/web/ingresses".
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
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        string path,
        string resourceVersion,
        string? fieldSelector,
        string? labelSelector,
        bool allowWatchBookmarks,
        int? timeoutSeconds,
        CancellationToken cancellationToken)
        where T : KubernetesObject;
}
