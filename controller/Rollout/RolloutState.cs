namespace Gatehouse.Controller.Rollout;

/// <summary>Whether a pod serves the object's newest revision or holds an earlier one back.</summary>
public enum RolloutState
{
    Applied,
    Held,
}
