namespace Gatehouse.Controller.Translation;

/// <summary>Something the translator refused or could only partly honour, attributed to the object that asked for it.</summary>
public sealed record Diagnostic(string Kind, string Namespace, string Name, string Reason)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}: {Reason}";
}
