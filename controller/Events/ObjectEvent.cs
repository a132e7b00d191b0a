namespace Gatehouse.Controller.Events;

/// <summary>
/// One event about one object. <paramref name="Reason"/> is a short UpperCamelCase word ("Rejected",
/// "Sync", "RolloutHeld", "ChecksumMismatch"); <paramref name="Message"/> says what to do about it.
/// <paramref name="Namespace"/> is "" for cluster-scoped objects.
/// </summary>
public sealed record ObjectEvent(
    string Kind,
    string Namespace,
    string Name,
    EventSeverity Severity,
    string Reason,
    string Message,
    string? Uid = null,
    string ApiVersion = "networking.k8s.io/v1");
