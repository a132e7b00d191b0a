namespace Gatehouse.Controller.Sources;

/// <summary>Why (part of) a manifest file was skipped. Kind/namespace/name are known only when the object got that far.</summary>
public sealed record ManifestProblem(string File, string? Kind, string? Namespace, string? Name, string Reason)
{
    public override string ToString()
    {
        var what = Kind is null ? "" : $" {Kind} {(Namespace is null ? "" : Namespace + "/")}{Name ?? "<unnamed>"}";
        return $"{File}{what}: {Reason}";
    }
}
