using Gatehouse.Controller.Checksums;
using Gatehouse.Controller.Rollout;
using Gatehouse.Controller.Sources;
using Gatehouse.Model;

namespace Gatehouse.Controller.Publishing;

/// <summary>
/// The filters between the sources and the translator. The checksum check runs first, on the objects
/// as stored: its CRs describe the cluster, and during a rollout a held pod's older copies would never
/// match them. The rollout gate then picks, among the consistent objects, what this pod serves.
/// </summary>
public sealed class SnapshotGates(ChecksumGate checksums, RolloutGate rollout)
{
    public ChecksumGate Checksums { get; } = checksums ?? throw new ArgumentNullException(nameof(checksums));

    public RolloutGate Rollout { get; } = rollout ?? throw new ArgumentNullException(nameof(rollout));

    /// <summary>The snapshot to translate, or null when nothing may be published (see <see cref="ChecksumGate.Apply"/>).</summary>
    public ResourceSnapshot? Apply(ResourceSnapshot snapshot)
        => Checksums.Apply(snapshot) is { } consistent ? Rollout.Apply(consistent) : null;

    /// <summary>Adds what the gates persist (the applied copies of gated objects) to the translated config.</summary>
    public GatehouseConfig Complete(GatehouseConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config with { AppliedObjects = Rollout.AppliedObjects };
    }
}
