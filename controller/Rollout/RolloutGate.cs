using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;
using Gatehouse.Model;

namespace Gatehouse.Controller.Rollout;

/// <summary>
/// Staged rollout by pod ordinal: replaces each changed Ingress or Secret whose rollout annotations
/// exclude this pod with the copy it applied last, so a change moves across the StatefulSet as the
/// index-id is raised. The copies of gated objects travel in the config's applied_objects, so a
/// restarted controller keeps serving what it served. Deletions pass straight through. Not thread-safe:
/// the controller loop is its only caller; <see cref="Status"/> may be read from anywhere.
/// </summary>
public sealed class RolloutGate
{
    public const string IngressKind = "Ingress";
    public const string SecretKind = "Secret";

    private readonly int _ordinal;
    private readonly string _podName;
    private readonly string _prefix;
    private readonly IEventRecorder _events;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Ingress> _appliedIngresses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Secret> _appliedSecrets = new(StringComparer.Ordinal);

    // Serialized manifests by object instance: an unchanged object is not serialized again on every pass.
    private Dictionary<KubernetesObject, string> _manifests = new(ReferenceEqualityComparer.Instance);
    private HashSet<(string Kind, string Name, string Revision)> _reportedHeld = [];
    private volatile RolloutObjectStatus[] _status = [];
    private long _ingressesWithoutCopy;
    private long _secretsWithoutCopy;

    public RolloutGate(string podName, string annotationsPrefix, ImmutableArray<AppliedObjectConfig> applied, IEventRecorder events, ILogger<RolloutGate> logger)
    {
        ArgumentNullException.ThrowIfNull(podName);
        ArgumentNullException.ThrowIfNull(annotationsPrefix);
        _podName = podName;
        _ordinal = PodOrdinal.Parse(podName);
        _prefix = annotationsPrefix;
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Seed(applied.IsDefault ? [] : applied);
    }

    public int Ordinal => _ordinal;

    /// <summary>Gated objects as of the last pass, sorted by kind and name.</summary>
    public IReadOnlyList<RolloutObjectStatus> Status => _status;

    /// <summary>What to persist: the served copy of every gated object (rollout annotation on), sorted by kind and name.</summary>
    public ImmutableArray<AppliedObjectConfig> AppliedObjects { get; private set; } = [];

    /// <summary>Gated Ingresses this pod applied ahead of its turn because it had no earlier copy (since start).</summary>
    public long IngressesWithoutEarlierCopy => Interlocked.Read(ref _ingressesWithoutCopy);

    public long SecretsWithoutEarlierCopy => Interlocked.Read(ref _secretsWithoutCopy);

    /// <summary>The snapshot this pod serves: the cluster's objects, except changes not yet rolled out to it.</summary>
    public ResourceSnapshot Apply(ResourceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var status = new List<RolloutObjectStatus>();
        var applied = new List<AppliedObjectConfig>();
        var manifests = new Dictionary<KubernetesObject, string>(ReferenceEqualityComparer.Instance);
        var reportedHeld = new HashSet<(string, string, string)>();

        var ingresses = Gate(snapshot.Ingresses, IngressKind, "ingress", _appliedIngresses, KubernetesJsonContext.Default.Ingress,
            ref _ingressesWithoutCopy, status, applied, manifests, reportedHeld);
        var secrets = Gate(snapshot.Secrets, SecretKind, "secret", _appliedSecrets, KubernetesJsonContext.Default.Secret,
            ref _secretsWithoutCopy, status, applied, manifests, reportedHeld);

        _manifests = manifests;
        _reportedHeld = reportedHeld;
        _status = [.. status];
        AppliedObjects = [.. applied];
        return ReferenceEquals(ingresses, snapshot.Ingresses) && ReferenceEquals(secrets, snapshot.Secrets)
            ? snapshot
            : snapshot with { Ingresses = ingresses, Secrets = secrets };
    }

    /// <summary>The revision an object is known by: its update-revision, else its resourceVersion, else a hash of its content.</summary>
    public string RevisionOf(KubernetesObject obj, string kindWord, string manifest)
        => RolloutSettings.Read(obj, _prefix, kindWord).UpdateRevision
            ?? obj.Metadata.ResourceVersion
            ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest)))[..16];

    private ImmutableSortedDictionary<string, T> Gate<T>(
        ImmutableSortedDictionary<string, T> desired,
        string kind,
        string kindWord,
        Dictionary<string, T> appliedCopies,
        JsonTypeInfo<T> typeInfo,
        ref long withoutCopy,
        List<RolloutObjectStatus> status,
        List<AppliedObjectConfig> persisted,
        Dictionary<KubernetesObject, string> manifests,
        HashSet<(string, string, string)> reportedHeld)
        where T : KubernetesObject
    {
        ImmutableSortedDictionary<string, T>.Builder? served = null;
        foreach (var (name, current) in desired)
        {
            var settings = RolloutSettings.Read(current, _prefix, kindWord);
            if (!settings.Enabled)
            {
                continue;
            }

            var currentManifest = Manifest(current, typeInfo, manifests);
            var desiredRevision = RevisionOf(current, kindWord, currentManifest);
            var serve = current;
            var servedManifest = currentManifest;
            var servedRevision = desiredRevision;
            var state = RolloutState.Applied;
            if (appliedCopies.TryGetValue(name, out var earlier) && !ReferenceEquals(earlier, current))
            {
                var earlierManifest = Manifest(earlier, typeInfo, manifests);
                var earlierRevision = RevisionOf(earlier, kindWord, earlierManifest);
                if (earlierRevision != desiredRevision && !settings.Admits(_ordinal))
                {
                    serve = earlier;
                    servedManifest = earlierManifest;
                    servedRevision = earlierRevision;
                    state = RolloutState.Held;
                    ReportHeld(kind, name, current, earlierRevision, desiredRevision, settings, reportedHeld);
                }
            }
            else if (!appliedCopies.ContainsKey(name) && !settings.Admits(_ordinal))
            {
                // Serving nothing would be worse than serving the new revision early.
                Interlocked.Increment(ref withoutCopy);
                _logger.LogWarning(
                    "{Kind} {Name}: no earlier copy on pod {Pod} (ordinal {Ordinal}); applying revision {Revision} ahead of its turn (index-id {IndexId})",
                    kind, name, _podName, _ordinal, desiredRevision, settings.IndexId);
            }

            if (!ReferenceEquals(serve, current))
            {
                served ??= desired.ToBuilder();
                served[name] = serve;
            }

            status.Add(new RolloutObjectStatus(kind, name, servedRevision, state, desiredRevision, settings.IndexId));
            persisted.Add(new AppliedObjectConfig { Kind = kind, Name = name, Revision = servedRevision, Manifest = servedManifest });
        }

        var result = served?.ToImmutable() ?? desired;

        // Remember everything served, gated or not: an object whose rollout starts later is held back
        // against the copy served before it. Deleted objects drop out (deletions are not gated).
        appliedCopies.Clear();
        foreach (var (name, obj) in result)
        {
            appliedCopies[name] = obj;
        }

        return result;
    }

    private void ReportHeld(
        string kind, string name, KubernetesObject current, string servedRevision, string desiredRevision, RolloutSettings settings,
        HashSet<(string, string, string)> reportedHeld)
    {
        var key = (kind, name, desiredRevision);
        reportedHeld.Add(key);
        if (_reportedHeld.Contains(key))
        {
            return;
        }

        _logger.LogInformation(
            "{Kind} {Name}: pod {Pod} (ordinal {Ordinal}) holds revision {Desired} back and keeps serving {Served} (index-id {IndexId})",
            kind, name, _podName, _ordinal, desiredRevision, servedRevision, settings.IndexId);
        _events.Record(new ObjectEvent(
            kind,
            current.Metadata.Namespace ?? "",
            current.Metadata.Name ?? name,
            EventSeverity.Normal,
            "RolloutHeld",
            $"Pod {_podName} (ordinal {_ordinal}) keeps serving revision {servedRevision}; revision {desiredRevision} reaches it once the index-id exceeds {_ordinal}, or when the rollout is finished (index-id -1) or turned off",
            current.Metadata.Uid,
            kind == IngressKind ? "networking.k8s.io/v1" : "v1"));
    }

    private static string Manifest<T>(T obj, JsonTypeInfo<T> typeInfo, Dictionary<KubernetesObject, string> manifests)
        where T : KubernetesObject
    {
        if (!manifests.TryGetValue(obj, out var json))
        {
            json = JsonSerializer.Serialize(obj, typeInfo);
            manifests[obj] = json;
        }

        return json;
    }

    private void Seed(ImmutableArray<AppliedObjectConfig> applied)
    {
        foreach (var copy in applied)
        {
            if (copy.Manifest is null)
            {
                continue;
            }

            try
            {
                switch (copy.Kind)
                {
                    case IngressKind when JsonSerializer.Deserialize(copy.Manifest, KubernetesJsonContext.Default.Ingress) is { } ingress:
                        _appliedIngresses[copy.Name] = ingress;
                        break;
                    case SecretKind when JsonSerializer.Deserialize(copy.Manifest, KubernetesJsonContext.Default.Secret) is { } secret:
                        _appliedSecrets[copy.Name] = secret;
                        break;
                }
            }
            catch (JsonException ex)
            {
                _logger.LogWarning("Ignoring the applied copy of {Kind} {Name} found in the channel: {Error}", copy.Kind, copy.Name, ex.Message);
            }
        }

        if (_appliedIngresses.Count + _appliedSecrets.Count > 0)
        {
            _logger.LogInformation(
                "Restored the applied copies of {Ingresses} Ingress and {Secrets} Secret under staged rollout from the channel",
                _appliedIngresses.Count, _appliedSecrets.Count);
        }
    }
}
