using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Sources;

/// <summary>
/// Serves the API server's Ingresses, IngressClasses, Services, EndpointSlices and TLS Secrets as
/// <see cref="ResourceSnapshot"/>s, one informer per kind. Nothing is published before every informer
/// has listed once: a snapshot with Ingresses but no Services yet would translate into broken routes.
/// </summary>
public sealed class KubernetesResourceSource : IResourceSource, ISourceHealth, IAsyncDisposable, IDisposable
{
    /// <summary>Only TLS secrets matter to the proxy; selecting them server-side keeps unrelated secrets out of memory.</summary>
    public const string TlsSecretFieldSelector = "type=kubernetes.io/tls";

    /// <summary>Opaque Secrets, of which only those with a ca.crt key are kept (CA bundles for mTLS).</summary>
    public const string CaSecretFieldSelector = "type=Opaque";

    private readonly Informer<Ingress>? _ingresses;
    private readonly Informer<IngressClass>? _ingressClasses;
    private readonly Informer<Service>? _services;
    private readonly Informer<EndpointSlice>? _endpointSlices;
    private readonly Informer<Secret>? _secrets;
    private readonly Informer<Secret>? _caSecrets;

    // Watched only when their check is on: without the CRD installed a list would fail forever and never sync.
    private readonly Informer<IngressCheckSum>? _ingressCheckSums;
    private readonly Informer<SecretCheckSum>? _secretCheckSums;
    private readonly IReadOnlyList<(string Path, Func<bool> HasSynced, Func<string?> Failure, Func<CancellationToken, Task> Run)> _informers;
    private readonly ILogger _logger;
    private readonly Lock _snapshotLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _running = [];
    private volatile ResourceSnapshot _current = ResourceSnapshot.Empty;
    private long _version;
    private bool _disposed;

    /// <param name="watchNamespace">Namespace to watch, or null for all namespaces.</param>
    /// <param name="kinds">Kinds to watch; the others stay empty in every snapshot.</param>
    public KubernetesResourceSource(
        IKubernetesApi api,
        string serverName,
        string? watchNamespace,
        InformerOptions informerOptions,
        ILoggerFactory loggerFactory,
        ResourceKinds kinds = ResourceKinds.All,
        CheckSumWatch? checkSums = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrEmpty(serverName);
        ArgumentNullException.ThrowIfNull(informerOptions);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (watchNamespace is { Length: 0 })
        {
            throw new ArgumentException("An empty namespace is not a namespace; pass null for all namespaces.", nameof(watchNamespace));
        }

        if (kinds == ResourceKinds.None)
        {
            throw new ArgumentException("A source must watch at least one kind.", nameof(kinds));
        }

        WatchNamespace = watchNamespace;
        Kinds = kinds;
        var name = watchNamespace is null ? $"kubernetes:{serverName}" : $"kubernetes:{serverName} namespace {watchNamespace}";
        Name = kinds == ResourceKinds.All ? name : $"{name} ({kinds})";
        _logger = loggerFactory.CreateLogger<KubernetesResourceSource>();
        var informerLogger = loggerFactory.CreateLogger("Gatehouse.Controller.Kubernetes.Client.Informer");

        var informers = new List<(string, Func<bool>, Func<string?>, Func<CancellationToken, Task>)>();
        Informer<T>? Create<T>(ResourceKinds kind, string path, ListRequest? selectors, Func<T, bool>? keep = null)
            where T : KubernetesObject
        {
            if (!kinds.HasFlag(kind))
            {
                return null;
            }

            var informer = new Informer<T>(api, path, selectors, informerOptions, informerLogger, keep);
            informer.Changed += OnInformerChanged;
            informers.Add((informer.Path, () => informer.HasSynced, () => informer.Failure, informer.RunAsync));
            return informer;
        }

        _ingresses = Create<Ingress>(ResourceKinds.Ingresses, CollectionPath("/apis/networking.k8s.io/v1", "ingresses", watchNamespace), null);
        _ingressClasses = Create<IngressClass>(ResourceKinds.IngressClasses, CollectionPath("/apis/networking.k8s.io/v1", "ingressclasses", null), null);
        _services = Create<Service>(ResourceKinds.Services, CollectionPath("/api/v1", "services", watchNamespace), null);
        _endpointSlices = Create<EndpointSlice>(ResourceKinds.EndpointSlices, CollectionPath("/apis/discovery.k8s.io/v1", "endpointslices", watchNamespace), null);
        _secrets = Create<Secret>(ResourceKinds.Secrets, CollectionPath("/api/v1", "secrets", watchNamespace), new ListRequest { FieldSelector = TlsSecretFieldSelector });

        // auth-tls-secret and proxy-ssl-secret may name an Opaque Secret holding only ca.crt (ingress-nginx
        // accepts that). A field selector cannot say "tls or Opaque with ca.crt", so Opaque Secrets are
        // watched apart and only those with a ca.crt are cached: application secrets stay out of memory.
        _caSecrets = Create<Secret>(ResourceKinds.Secrets, CollectionPath("/api/v1", "secrets", watchNamespace), new ListRequest { FieldSelector = CaSecretFieldSelector },
            static secret => secret.Data?.ContainsKey("ca.crt") == true);

        // Checksum resources describe the Ingresses and Secrets, so they are read wherever those are.
        if (checkSums is { } watch)
        {
            var prefix = $"/apis/{watch.Group}/{CheckSumResource.Version}";
            _ingressCheckSums = watch.Ingresses ? Create<IngressCheckSum>(ResourceKinds.Ingresses, CollectionPath(prefix, IngressCheckSum.Plural, watchNamespace), null) : null;
            _secretCheckSums = watch.Secrets ? Create<SecretCheckSum>(ResourceKinds.Secrets, CollectionPath(prefix, SecretCheckSum.Plural, watchNamespace), null) : null;
        }
        _informers = informers;
    }

    public ResourceKinds Kinds { get; }

    /// <summary>The first informer failure (list or watch), naming this source; null while every informer is healthy.</summary>
    public string? Problem => _informers.Select(i => i.Failure()).FirstOrDefault(f => f is not null) is { } failure ? $"{Name}: {failure}" : null;

    public string Name { get; }

    public string? WatchNamespace { get; }

    /// <summary>True once every informer has listed and <see cref="Current"/> holds the first complete snapshot.</summary>
    public bool HasSynced => _firstSnapshot.Task.IsCompleted;

    /// <summary>
    /// Always true: once synced, each cache is a complete list plus every later event. While a watch is
    /// down the cache is stale but still complete, so the empty-config protection is not needed here.
    /// </summary>
    public bool LastReadComplete => true;

    public ResourceSnapshot Current => _current;

    public event EventHandler<ResourceSnapshot>? Changed;

    /// <summary>The collection paths watched, for logs and tests.</summary>
    public IReadOnlyList<string> Paths => [.. _informers.Select(i => i.Path)];

    /// <summary>Collection path of a resource, e.g. "/api/v1/namespaces/web/services" or "/api/v1/services" for all namespaces.</summary>
    public static string CollectionPath(string groupVersionPrefix, string plural, string? @namespace)
        => @namespace is null ? $"{groupVersionPrefix}/{plural}" : $"{groupVersionPrefix}/namespaces/{Uri.EscapeDataString(@namespace)}/{plural}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_running.Length > 0)
        {
            throw new InvalidOperationException("The source is already started.");
        }

        // The informers live until disposal, not until the start token fires; it only bounds the wait for sync.
        var stopping = _stopping.Token;
        _running = [.. _informers.Select(i => Task.Run(() => i.Run(stopping), CancellationToken.None))];

        // Not the informers' own sync: the snapshot built from them must be in place before StartAsync returns,
        // or the controller's first pass would translate an empty view.
        await _firstSnapshot.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the informers and waits for them to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Stops the informers without waiting (for containers that dispose synchronously); they end at their next await.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping.Cancel();
    }

    private void OnInformerChanged(object? sender, EventArgs e)
    {
        if (!_informers.All(i => i.HasSynced()))
        {
            // Until every kind is listed a snapshot would be partial; the last informer to sync builds the first one.
            return;
        }

        ResourceSnapshot snapshot;
        lock (_snapshotLock)
        {
            snapshot = new ResourceSnapshot
            {
                Ingresses = _ingresses?.Items ?? ResourceSnapshot.Empty.Ingresses,
                IngressClasses = _ingressClasses?.Items ?? ResourceSnapshot.Empty.IngressClasses,
                Services = _services?.Items ?? ResourceSnapshot.Empty.Services,
                EndpointSlices = _endpointSlices?.Items ?? ResourceSnapshot.Empty.EndpointSlices,
                Secrets = MergeSecrets(_secrets?.Items, _caSecrets?.Items),
                IngressCheckSums = _ingressCheckSums?.Items ?? ResourceSnapshot.Empty.IngressCheckSums,
                SecretCheckSums = _secretCheckSums?.Items ?? ResourceSnapshot.Empty.SecretCheckSums,
                Version = ++_version,
            };
            _current = snapshot;

            // Raised under the lock so observers see snapshots in version order.
            Changed?.Invoke(this, snapshot);

            // After the first Changed, so whoever awaited StartAsync has also been told about the snapshot.
            _firstSnapshot.TrySetResult();
        }

        if (snapshot.Version == 1)
        {
            _logger.LogInformation(
                "Synced {Source}: {Ingresses} Ingress, {Classes} IngressClass, {Services} Service, {Slices} EndpointSlice, {Secrets} Secret",
                Name, snapshot.Ingresses.Count, snapshot.IngressClasses.Count, snapshot.Services.Count,
                snapshot.EndpointSlices.Count, snapshot.Secrets.Count);
        }
    }

    private static ImmutableSortedDictionary<string, Secret> MergeSecrets(ImmutableSortedDictionary<string, Secret>? tls, ImmutableSortedDictionary<string, Secret>? ca)
    {
        var merged = tls ?? ResourceSnapshot.Empty.Secrets;

        // The two selectors are disjoint (one type each), so no key is in both.
        return ca is null || ca.IsEmpty ? merged : merged.SetItems(ca);
    }
}
