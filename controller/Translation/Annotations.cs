namespace Gatehouse.Controller.Translation;

/// <summary>
/// Annotation keys the translator understands. Keys without a prefix here are used under
/// --annotations-prefix (default nginx.ingress.kubernetes.io, so ingress-nginx manifests port over);
/// read them with <see cref="AnnotationReader"/>.
/// </summary>
internal static class Annotations
{
    /// <summary>Legacy (pre-IngressClass) class selector; still widely used and wins over spec.ingressClassName. Never prefixed.</summary>
    public const string IngressClass = "kubernetes.io/ingress.class";

    /// <summary>"PREFIX/backend-protocol".</summary>
    public const string BackendProtocol = "backend-protocol";
}
