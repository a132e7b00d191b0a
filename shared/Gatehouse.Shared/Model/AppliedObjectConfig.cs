namespace Gatehouse.Model;

/// <summary>STUB (rollout branch): replaced by the lead's schema 1.2 type at merge.</summary>
public sealed record AppliedObjectConfig
{
    public required string Kind { get; init; }

    public required string Name { get; init; }

    public string? Revision { get; init; }

    public string? Manifest { get; init; }
}
