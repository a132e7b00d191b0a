namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>One RBAC permission: a verb on a resource of an API group ("" is the core group).</summary>
public sealed record ApiPermission(string Group, string Resource, string Verb)
{
    public override string ToString() => $"{(Group.Length == 0 ? "core" : Group)}/{Resource}:{Verb}";
}
