namespace Gatehouse.Model;

/// <summary>affinity-mode: balanced may move sessions when endpoints scale; persistent never does.</summary>
public enum AffinityMode : byte
{
    Balanced = 0,
    Persistent = 1,
}
