using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// The plans of the Ingresses translated last time, kept by the controller loop between passes. A
/// source replaces an object when it changes and keeps the very instance when it does not (the
/// folder source reuses parses of unchanged files; informers replace objects on events), so the
/// instance is the key: a changed Ingress is a different object and is planned afresh. Plans of
/// Ingresses not seen in a pass are dropped. Not thread-safe: one translation at a time.
/// </summary>
public sealed class TranslationCache
{
    private Dictionary<Ingress, IngressPlan> _plans = new(ReferenceEqualityComparer.Instance);
    private Dictionary<Ingress, IngressPlan> _next = new(ReferenceEqualityComparer.Instance);
    private ControllerOptions? _options;

    /// <summary>Plans reused in the last pass (for tests and logs).</summary>
    public int LastHits { get; private set; }

    /// <summary>Plans made in the last pass.</summary>
    public int LastMisses { get; private set; }

    internal void Begin(ControllerOptions options)
    {
        if (!ReferenceEquals(options, _options))
        {
            // Plans depend on the options (annotation prefix, limits); other options, other plans.
            _plans.Clear();
            _options = options;
        }

        _next.Clear();
        _next.EnsureCapacity(_plans.Count);
        LastHits = 0;
        LastMisses = 0;
    }

    internal IngressPlan GetOrAdd(Ingress ingress, Func<Ingress, IngressPlan> plan)
    {
        if (_plans.TryGetValue(ingress, out var cached))
        {
            LastHits++;
        }
        else
        {
            cached = plan(ingress);
            LastMisses++;
        }

        _next[ingress] = cached;
        return cached;
    }

    /// <summary>Keeps exactly the plans used in this pass.</summary>
    internal void End() => (_plans, _next) = (_next, _plans);
}
