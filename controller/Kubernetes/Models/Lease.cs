using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>coordination.k8s.io/v1 Lease: the lock of leader election.</summary>
public sealed class Lease : KubernetesObject
{
    [JsonPropertyName("spec")]
    public LeaseSpec? Spec { get; set; }
}

public sealed class LeaseSpec
{
    /// <summary>Who holds the lease; empty or null after a holder released it.</summary>
    [JsonPropertyName("holderIdentity")]
    public string? HolderIdentity { get; set; }

    [JsonPropertyName("leaseDurationSeconds")]
    public int? LeaseDurationSeconds { get; set; }

    [JsonPropertyName("acquireTime")]
    [JsonConverter(typeof(MicroTimeConverter))]
    public DateTimeOffset? AcquireTime { get; set; }

    [JsonPropertyName("renewTime")]
    [JsonConverter(typeof(MicroTimeConverter))]
    public DateTimeOffset? RenewTime { get; set; }

    /// <summary>How many times the lease changed hands.</summary>
    [JsonPropertyName("leaseTransitions")]
    public int? LeaseTransitions { get; set; }
}
