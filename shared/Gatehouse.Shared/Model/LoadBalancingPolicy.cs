namespace Gatehouse.Model;

public enum LoadBalancingPolicy : byte
{
    RoundRobin = 0,

    /// <summary>Peak-EWMA of response time with the power-of-two-choices pick.</summary>
    Ewma = 1,
}
