using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// What one Ingress asks for, worked out from the Ingress alone: its annotations read, hosts
/// normalised, paths and backends validated, each problem found as a diagnostic. Everything that
/// depends on other objects (who claimed a route first, which Services exist, where a canary attaches)
/// happens when the plan is replayed into a translation. A plan depends only on the Ingress object
/// and the options, so an unchanged Ingress is never planned twice (<see cref="TranslationCache"/>).
/// </summary>
internal sealed class IngressPlan
{
    public IngressPlan(string @namespace, string name, bool isCanary)
    {
        Namespace = @namespace;
        Name = name;
        Key = $"{@namespace}/{name}";
        IsCanary = isCanary;
    }

    public string Namespace { get; }

    public string Name { get; }

    /// <summary>"namespace/name", as routes record their owner.</summary>
    public string Key { get; }

    /// <summary>Marked as a canary (anything but an explicit "false"), whether or not its canary annotations are valid.</summary>
    public bool IsCanary { get; }

    /// <summary>The canary's rules; null for a main Ingress, or for a canary that is not served (its reason is a step).</summary>
    public CanaryConfig? Canary { get; init; }

    /// <summary>Upstream policy of a main Ingress's routes.</summary>
    public UpstreamPolicyConfig? Upstream { get; init; }

    /// <summary>In the order the translator met them, which is the order diagnostics are reported in.</summary>
    public required IReadOnlyList<IngressPlanStep> Steps { get; init; }
}

/// <summary>One thing a plan does when replayed.</summary>
internal abstract record IngressPlanStep
{
    /// <summary>A problem with the Ingress itself.</summary>
    public sealed record Reject(string Code, string Reason) : IngressPlanStep;

    /// <summary>A (validated) path to claim, or for a canary, to attach to.</summary>
    public sealed record Route(string Host, string Path, PathMatch Match, BackendReference Backend, string Where) : IngressPlanStep;

    /// <summary>spec.defaultBackend, valid: becomes the catch-all if no older Ingress set one.</summary>
    public sealed record DefaultBackend(BackendReference Backend) : IngressPlanStep;

    /// <summary>enable-access-log: "false" for every route this Ingress claimed.</summary>
    public sealed record AccessLogOff : IngressPlanStep;
}
