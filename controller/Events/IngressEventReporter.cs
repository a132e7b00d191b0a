using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Translation;

namespace Gatehouse.Controller.Events;

/// <summary>
/// Turns what the control loop sees into Events on the Ingresses: a Warning "Rejected" for each new
/// rejection (the loop calls it only when the rejection first appears, as it logs it), and a Normal
/// "Sync" when an Ingress becomes served (first seen, or back after it stopped being ours).
/// </summary>
public sealed class IngressEventReporter
{
    public const string RejectedReason = "Rejected";
    public const string SyncReason = "Sync";

    private readonly IEventRecorder _recorder;
    private IReadOnlySet<string>? _served;

    public IngressEventReporter(IEventRecorder recorder)
    {
        _recorder = recorder ?? throw new ArgumentNullException(nameof(recorder));
    }

    public void Rejected(Diagnostic rejection, ResourceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        ArgumentNullException.ThrowIfNull(snapshot);
        var (apiVersion, uid) = rejection.Kind switch
        {
            "Ingress" => ("networking.k8s.io/v1", snapshot.Ingresses.GetValueOrDefault(ResourceSnapshot.Key(rejection.Namespace, rejection.Name))?.Metadata.Uid),
            "Secret" => ("v1", snapshot.Secrets.GetValueOrDefault(ResourceSnapshot.Key(rejection.Namespace, rejection.Name))?.Metadata.Uid),
            "Service" => ("v1", snapshot.Services.GetValueOrDefault(ResourceSnapshot.Key(rejection.Namespace, rejection.Name))?.Metadata.Uid),
            _ => ("v1", null),
        };
        _recorder.Record(new ObjectEvent(
            rejection.Kind, rejection.Namespace, rejection.Name, EventSeverity.Warning, RejectedReason,
            $"{rejection.Reason} (code {rejection.Code}); the rest of the configuration is still served", uid, apiVersion));
    }

    /// <summary>
    /// Records "Sync" for every served Ingress that was not served at the previous call. Keeps
    /// <paramref name="served"/> for the next call rather than copying it (100k keys per pass at scale):
    /// callers hand over a set they no longer change.
    /// </summary>
    public void Served(ResourceSnapshot snapshot, IReadOnlySet<string> served)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(served);
        foreach (var key in served)
        {
            if (_served?.Contains(key) == true || !snapshot.Ingresses.TryGetValue(key, out var ingress))
            {
                continue;
            }

            _recorder.Record(new ObjectEvent(
                "Ingress", ingress.Metadata.Namespace ?? "", ingress.Metadata.Name ?? "", EventSeverity.Normal, SyncReason,
                "Served by gatehouse", ingress.Metadata.Uid));
        }

        _served = served;
    }
}
