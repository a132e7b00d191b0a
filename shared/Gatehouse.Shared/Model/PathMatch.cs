namespace Gatehouse.Model;

/// <summary>Ingress v1 pathType. ImplementationSpecific is matched as Prefix.</summary>
public enum PathMatch : byte
{
    Exact = 0,
    Prefix = 1,
    ImplementationSpecific = 2,
}
