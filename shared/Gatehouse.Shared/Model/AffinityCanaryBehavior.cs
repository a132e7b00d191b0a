namespace Gatehouse.Model;

/// <summary>affinity-canary-behavior: sticky keeps a pinned client on the canary; legacy re-evaluates canary rules.</summary>
public enum AffinityCanaryBehavior : byte
{
    Sticky = 0,
    Legacy = 1,
}
