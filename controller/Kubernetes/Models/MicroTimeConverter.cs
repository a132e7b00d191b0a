namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>
/// metav1.MicroTime: RFC 3339 in UTC with exactly six fractional digits, the form the API server
/// validates on Lease and events.k8s.io times.
/// </summary>
public sealed class MicroTimeConverter() : KubernetesTimeConverter("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");
