namespace Gatehouse.Controller.Translation;

/// <summary>Annotation keys the translator understands; names are shared with ingress-nginx so manifests port over.</summary>
internal static class Annotations
{
    /// <summary>Legacy (pre-IngressClass) class selector; still widely used and wins over spec.ingressClassName.</summary>
    public const string IngressClass = "kubernetes.io/ingress.class";

    /// <summary>
    /// Prefix of the annotations read by name (rollout, checksum version); the one place to change it
    /// until --annotations-prefix exists.
    /// </summary>
    public const string Prefix = "nginx.ingress.kubernetes.io/";

    public const string BackendProtocol = "nginx.ingress.kubernetes.io/backend-protocol";
}
