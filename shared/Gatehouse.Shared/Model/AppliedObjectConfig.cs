namespace Gatehouse.Model;

/// <summary>
/// The revision of a rollout-gated object (Ingress or Secret) that this pod last applied, with the
/// object as applied, so a restarted controller keeps serving it. Written by the controller, ignored by
/// the proxy. <see cref="Manifest"/> of a Secret holds key material: dump tools redact it.
/// </summary>
public sealed record AppliedObjectConfig
{
    /// <summary>"Ingress" or "Secret".</summary>
    public required string Kind { get; init; }

    /// <summary>"namespace/name".</summary>
    public required string Name { get; init; }

    public string Revision { get; init; } = "";

    /// <summary>The object as applied, as JSON.</summary>
    public string Manifest { get; init; } = "";
}
