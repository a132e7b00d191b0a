using System.Diagnostics.Metrics;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Rollout;

namespace Gatehouse.Controller.Telemetry;

/// <summary>
/// Rollout and checksum instruments, observed from the gates at scrape time. The per-object rollout
/// series exist only for gated objects (rollout annotation on), which keeps their number bounded by
/// what operators stage, not by the cluster's size.
/// </summary>
public sealed class GateMetrics
{
    public GateMetrics(IMeterFactory meterFactory, SnapshotGates gates)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(gates);
        var meter = meterFactory.Create(ControllerMetrics.MeterName);

        meter.CreateObservableGauge(
            "gatehouse_rollout_objects",
            () => gates.Rollout.Status.Select(s => new Measurement<long>(
                1,
                new KeyValuePair<string, object?>("kind", s.Kind),
                new KeyValuePair<string, object?>("name", s.Name),
                new KeyValuePair<string, object?>("state", s.State == RolloutState.Held ? "held" : "applied"))),
            description: "Objects under staged rollout, one series per object with the state this pod serves it in (applied or held).");

        meter.CreateObservableCounter(
            "gatehouse_rollout_applied_without_copy_total",
            () => new[]
            {
                new Measurement<long>(gates.Rollout.IngressesWithoutEarlierCopy, new KeyValuePair<string, object?>("kind", RolloutGate.IngressKind)),
                new Measurement<long>(gates.Rollout.SecretsWithoutEarlierCopy, new KeyValuePair<string, object?>("kind", RolloutGate.SecretKind)),
            },
            description: "Gated objects this pod applied before its turn because it had no earlier copy to keep serving.");

        meter.CreateObservableGauge(
            "gatehouse_checksum_mismatch",
            () => Mismatches(gates),
            description: "1 while the cluster's objects of a kind do not match their checksum resource (the last consistent ones are served), else 0.");
    }

    private static IEnumerable<Measurement<int>> Mismatches(SnapshotGates gates)
    {
        if (gates.Checksums.ChecksIngresses)
        {
            yield return new Measurement<int>(gates.Checksums.IngressMismatch, new KeyValuePair<string, object?>("kind", "Ingress"));
        }

        if (gates.Checksums.ChecksSecrets)
        {
            yield return new Measurement<int>(gates.Checksums.SecretMismatch, new KeyValuePair<string, object?>("kind", "Secret"));
        }
    }
}
