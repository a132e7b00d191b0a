namespace Gatehouse.Controller.Events;

/// <summary>
/// Records Kubernetes Events on the objects a user edits (Ingress, Secret, our checksum CRs), so the
/// reason for a rejection or a held-back rollout shows up in `kubectl describe`. Implementations must be
/// cheap and non-blocking for the caller (queue and send in the background), aggregate repeats of the
/// same event (count and lastTimestamp, as client-go's recorder does), and never throw.
/// </summary>
public interface IEventRecorder
{
    void Record(ObjectEvent objectEvent);
}
