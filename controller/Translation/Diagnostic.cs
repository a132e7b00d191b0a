namespace Gatehouse.Controller.Translation;

/// <summary>
/// Something the translator refused or could only partly honour, attributed to the object that asked for it.
/// <paramref name="Code"/> is one of <see cref="DiagnosticCodes"/>: short enough to be a metric label.
/// </summary>
public sealed record Diagnostic(string Kind, string Namespace, string Name, string Reason, string Code = DiagnosticCodes.Invalid)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}: {Reason}";
}
