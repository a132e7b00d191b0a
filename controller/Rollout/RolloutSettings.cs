using System.Globalization;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Rollout;

/// <summary>
/// The four staged-rollout annotations of one object: "&lt;prefix&gt;ingress-rollout",
/// "…-current-revision", "…-update-revision" and "…-index-id" (Secrets: "secret-rollout…").
/// </summary>
public sealed record RolloutSettings(bool Enabled, string? CurrentRevision, string? UpdateRevision, int IndexId)
{
    /// <summary>index-id meaning "rollout finished": every pod applies.</summary>
    public const int Finished = -1;

    public static RolloutSettings Off { get; } = new(false, null, null, Finished);

    /// <param name="kindWord">"ingress" or "secret", the word the annotation names start with.</param>
    public static RolloutSettings Read(KubernetesObject obj, string prefix, string kindWord)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj.Metadata.Annotations is not { Count: > 0 } annotations)
        {
            return Off;
        }

        var name = $"{prefix}{kindWord}-rollout";
        var enabled = annotations.TryGetValue(name, out var flag) && bool.TryParse(flag.Trim(), out var on) && on;
        annotations.TryGetValue($"{name}-current-revision", out var current);
        annotations.TryGetValue($"{name}-update-revision", out var update);

        // An unreadable index-id counts as the default (-1, finished), as Tengine-Ingress treats it.
        var indexId = annotations.TryGetValue($"{name}-index-id", out var indexText)
            && int.TryParse(indexText.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : Finished;
        return new RolloutSettings(enabled, NullIfEmpty(current), NullIfEmpty(update), indexId);
    }

    /// <summary>True when a pod with this ordinal applies a changed object now.</summary>
    public bool Admits(int ordinal)
        => !Enabled || IndexId == Finished || ordinal < 0 || (ordinal >= 0 && ordinal < IndexId);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
