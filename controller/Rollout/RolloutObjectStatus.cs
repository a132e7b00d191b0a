namespace Gatehouse.Controller.Rollout;

/// <summary>
/// What this pod serves of one gated object: <paramref name="ServedRevision"/> is the revision of the
/// copy in the config, <paramref name="DesiredRevision"/> the one stored in the cluster, <paramref name="IndexId"/>
/// the object's index-id annotation (pods with a lower ordinal take the desired revision).
/// <paramref name="Kind"/> is "Ingress" or "Secret"; <paramref name="Name"/> is "namespace/name".
/// </summary>
public sealed record RolloutObjectStatus(string Kind, string Name, string ServedRevision, RolloutState State, string DesiredRevision, int IndexId);
