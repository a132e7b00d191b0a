namespace Gatehouse.Model;

/// <summary>canary-mod-relational-operator: compares (value mod divisor) with the remainder.</summary>
public enum CanaryModOperator : byte
{
    Equal = 0,
    Greater = 1,
    GreaterOrEqual = 2,
    Less = 3,
    LessOrEqual = 4,
}
