namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>metav1.Time: RFC 3339 in UTC to the second, as the API server writes it.</summary>
public sealed class TimeConverter() : KubernetesTimeConverter("yyyy-MM-dd'T'HH:mm:ss'Z'");
