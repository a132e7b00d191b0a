namespace Gatehouse.Controller.Election;

/// <summary>Leader election over one coordination.k8s.io/v1 Lease; defaults are client-go's.</summary>
public sealed record LeaderElectionOptions
{
    public const string DefaultLeaseName = "gatehouse-leader";

    /// <summary>--election-id: the Lease's name.</summary>
    public string LeaseName { get; init; } = DefaultLeaseName;

    /// <summary>--pod-namespace: where the Lease lives.</summary>
    public required string Namespace { get; init; }

    /// <summary>holderIdentity written into the Lease: the pod name.</summary>
    public required string Identity { get; init; }

    /// <summary>How long a lease not renewed stays valid for the others.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A leader that could not renew for this long steps down (before the others may take over).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval between attempts to acquire or renew.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
