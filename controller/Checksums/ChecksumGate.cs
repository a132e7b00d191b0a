using System.Collections.Immutable;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Controller.Checksums;

/// <summary>
/// Global consistency check (--use-ingress-checksum, --use-secret-checksum): the Ingresses (or TLS
/// Secrets) of a snapshot pass only when their checksum matches one of the kind's checksum CRs, or
/// there is no CR. On a mismatch that kind's last consistent objects stand in, while the other kind
/// still flows; with no consistent set yet the pass is blocked and the channel keeps what it has.
/// Each pass rechecks, so a fix on either side (objects or CR) takes effect on the next change.
/// Not thread-safe: the controller loop is its only caller; the mismatch flags may be read from anywhere.
/// </summary>
public sealed class ChecksumGate
{
    private readonly KindCheck<Ingress, IngressCheckSum> _ingresses;
    private readonly KindCheck<Secret, SecretCheckSum> _secrets;

    public ChecksumGate(bool checkIngresses, bool checkSecrets, string annotationsPrefix, IEventRecorder events, ILogger<ChecksumGate> logger)
    {
        ArgumentNullException.ThrowIfNull(annotationsPrefix);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(logger);
        _ingresses = new("Ingress", checkIngresses, i => ChecksumIds.ForIngress(i, annotationsPrefix), events, logger);
        _secrets = new("Secret", checkSecrets, s => ChecksumIds.ForSecret(s, annotationsPrefix), events, logger);
    }

    /// <summary>1 while the cluster's Ingresses do not match their checksum CRs, else 0.</summary>
    public int IngressMismatch => _ingresses.Mismatch;

    public int SecretMismatch => _secrets.Mismatch;

    public bool ChecksIngresses => _ingresses.Enabled;

    public bool ChecksSecrets => _secrets.Enabled;

    /// <summary>The snapshot to serve, or null when a kind mismatches and nothing consistent was seen since start.</summary>
    public ResourceSnapshot? Apply(ResourceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var ingresses = _ingresses.Check(snapshot.Ingresses, snapshot.IngressCheckSums.Values);
        var secrets = _secrets.Check(snapshot.Secrets, snapshot.SecretCheckSums.Values);
        if (ingresses is null || secrets is null)
        {
            return null;
        }

        return ReferenceEquals(ingresses, snapshot.Ingresses) && ReferenceEquals(secrets, snapshot.Secrets)
            ? snapshot
            : snapshot with { Ingresses = ingresses, Secrets = secrets };
    }

    private sealed class KindCheck<T, TResource>(string kind, bool enabled, Func<T, string?> idOf, IEventRecorder events, ILogger logger)
        where T : KubernetesObject
        where TResource : CheckSumResource
    {
        private ImmutableSortedDictionary<string, T>? _lastConsistent;
        private ImmutableSortedDictionary<string, T>? _computedFor;
        private string[] _sortedIds = [];
        private string _computed = "";
        private string? _reported;
        private volatile int _mismatch;

        public bool Enabled => enabled;

        public int Mismatch => _mismatch;

        public ImmutableSortedDictionary<string, T>? Check(ImmutableSortedDictionary<string, T> objects, IEnumerable<TResource> resources)
        {
            if (!enabled)
            {
                return objects;
            }

            // Snapshots share unchanged dictionaries: a pass caused by another kind costs no rehash.
            if (!ReferenceEquals(objects, _computedFor))
            {
                var ids = new List<string>(objects.Count);
                foreach (var obj in objects.Values)
                {
                    if (idOf(obj) is { } id)
                    {
                        ids.Add(id);
                    }
                }

                _sortedIds = ChecksumCalculator.Sort(ids);
                _computed = ChecksumCalculator.Md5(_sortedIds);
                _computedFor = objects;
            }

            var comparison = ChecksumComparison.Compare(kind, _sortedIds, _computed, resources);
            if (comparison.Consistent)
            {
                if (_mismatch == 1)
                {
                    logger.LogInformation("{Kind} checksum {Checksum} is consistent again; applying the cluster's {Kind}s", kind, _computed, kind);
                }

                _mismatch = 0;
                _reported = null;
                _lastConsistent = objects;
                return objects;
            }

            _mismatch = 1;
            Report(comparison);
            return _lastConsistent;
        }

        private void Report(ChecksumComparison comparison)
        {
            var key = $"{comparison.Computed}|{comparison.Newest?.Metadata.Namespace}/{comparison.Newest?.Metadata.Name}|{comparison.Newest?.Spec?.Checksum}";
            if (key == _reported)
            {
                return;
            }

            _reported = key;
            var consequence = _lastConsistent is null
                ? "publishing nothing until it matches (the channel keeps its config)"
                : $"keeping the last consistent {kind}s";
            logger.LogWarning("Checksum mismatch: {Difference}; {Consequence}", comparison.Describe(), consequence);
            if (comparison.Newest is { } newest)
            {
                events.Record(new ObjectEvent(
                    newest.Kind ?? typeof(TResource).Name,
                    newest.Metadata.Namespace ?? "",
                    newest.Metadata.Name ?? "",
                    EventSeverity.Warning,
                    "ChecksumMismatch",
                    $"{comparison.Describe()}; {consequence}",
                    newest.Metadata.Uid,
                    newest.ApiVersion ?? $"{CheckSumResource.DefaultGroup}/{CheckSumResource.Version}"));
            }
        }
    }
}
