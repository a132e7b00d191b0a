using Gatehouse.Controller.Translation;

namespace Gatehouse.Controller.Publishing;

/// <summary>Immutable view of what the controller last did, for the admin endpoints.</summary>
public sealed record ControllerStatus
{
    public static ControllerStatus Initial { get; } = new();

    public bool Synced { get; init; }

    /// <summary>Sources still reading, by name; empty once synced.</summary>
    public IReadOnlyList<string> PendingSources { get; init; } = [];

    public bool PublishAttempted { get; init; }

    /// <summary>Error of the last translate/publish attempt; null when it succeeded.</summary>
    public string? LastError { get; init; }

    public long Generation { get; init; }

    public DateTimeOffset? LastPublishedAt { get; init; }

    public int Hosts { get; init; }

    public int Routes { get; init; }

    public int Backends { get; init; }

    public IReadOnlyList<Diagnostic> Rejections { get; init; } = [];

    /// <summary>Null when ready; otherwise why not, for /readyz.</summary>
    public string? NotReadyReason
        => !Synced ? $"waiting for sources to sync: {string.Join(", ", PendingSources)}"
            : !PublishAttempted ? "no publish attempted yet"
            : LastError is not null ? $"last publish failed: {LastError}"
            : null;
}
