using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// Decides which Ingresses this controller serves. In order of precedence:
/// 1. the legacy annotation kubernetes.io/ingress.class, when present, must equal --ingress-class;
/// 2. otherwise spec.ingressClassName must name an IngressClass whose spec.controller is --controller-name;
/// 3. otherwise (no class at all) one of our IngressClasses must be marked the cluster default.
/// Ingresses for other controllers are ignored silently: they are not ours to complain about.
/// </summary>
internal sealed class IngressClassFilter
{
    private readonly HashSet<string> _ourClasses = new(StringComparer.Ordinal);
    private readonly string _legacyClass;
    private readonly bool _weAreDefault;

    public IngressClassFilter(ResourceSnapshot snapshot, ControllerOptions options)
    {
        _legacyClass = options.IngressClass;
        foreach (var ingressClass in snapshot.IngressClasses.Values)
        {
            if (ingressClass.Spec?.Controller != options.ControllerName || ingressClass.Metadata.Name is not { } name)
            {
                continue;
            }

            _ourClasses.Add(name);
            if (ingressClass.Metadata.Annotations?.TryGetValue(IngressClass.IsDefaultClassAnnotation, out var isDefault) == true
                && string.Equals(isDefault, "true", StringComparison.OrdinalIgnoreCase))
            {
                _weAreDefault = true;
            }
        }
    }

    public bool IsServed(Ingress ingress)
    {
        if (ingress.Metadata.Annotations?.TryGetValue(Annotations.IngressClass, out var legacy) == true)
        {
            return legacy == _legacyClass;
        }

        return ingress.Spec?.IngressClassName is { Length: > 0 } className
            ? _ourClasses.Contains(className)
            : _weAreDefault;
    }
}
