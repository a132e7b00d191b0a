using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Sources;

/// <summary>
/// Serves the API server's Ingresses, IngressClasses, Services, EndpointSlices and TLS Secrets as
/// <see cref="ResourceSnapshot"/>s, one informer per kind. Nothing is published before every informer
/// has listed once: a snapshot with Ingresses but no Services yet would translate into broken routes.
/// </summary>
public sealed class KubernetesResourceSource : IResourceSource, IAsyncDisposable, IDisposable
{
    /// <summary>Only TLS secrets matter to the proxy; selecting them server-side keeps unrelated secrets out of memory.</summary>
    public const string TlsSecretFieldSelector = "type=kubernetes.io/tls";

    private readonly Informer<Ingress> _ingresses;
    private readonly Informer<IngressClass> _ingressClasses;
    private readonly Informer<Service> _services;
    private readonly Informer<EndpointSlice> _endpointSlices;
    private readonly Informer<Secret> _secrets;

    // Watched only when their check is on: without the CRD installed a list would fail forever and never sync.
    private readonly Informer<IngressCheckSum>? _ingressCheckSums;
    private readonly Informer<SecretCheckSum>? _secretCheckSums;
    private readonly ILogger _logger;
    private readonly Lock _snapshotLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _running = [];
    private volatile ResourceSnapshot _current = ResourceSnapshot.Empty;
    private long _version;
    private bool _disposed;

    /// <param name="watchNamespace">Namespace to watch, or null for all namespaces.</param>
    public KubernetesResourceSource(
        IKubernetesApi api,
        string serverName,
        string? watchNamespace,
        InformerOptions informerOptions,
        ILoggerFactory loggerFactory,
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

        WatchNamespace = watchNamespace;
        Name = watchNamespace is null ? $"kubernetes:{serverName}" : $"kubernetes:{serverName} namespace {watchNamespace}";
        _logger = loggerFactory.CreateLogger<KubernetesResourceSource>();
        var informerLogger = loggerFactory.CreateLogger("Gatehouse.Controller.Kubernetes.Client.Informer");

        _ingresses = new(api, CollectionPath("/apis/networking.k8s.io/v1", "ingresses", watchNamespace), null, informerOptions, informerLogger);
        _ingressClasses = new(api, CollectionPath("/apis/networking.k8s.io/v1", "ingressclasses", null), null, informerOptions, informerLogger);
        _services = new(api, CollectionPath("/api/v1", "services", watchNamespace), null, informerOptions, informerLogger);
        _endpointSlices = new(api, CollectionPath("/apis/discovery.k8s.io/v1", "endpointslices", watchNamespace), null, informerOptions, informerLogger);
        _secrets = new(api, CollectionPath("/api/v1", "secrets", watchNamespace), new ListRequest { FieldSelector = TlsSecretFieldSelector }, informerOptions, informerLogger);

        if (checkSums is { } watch)
        {
            var prefix = $"/apis/{watch.Group}/{CheckSumResource.Version}";
            if (watch.Ingresses)
            {
                _ingressCheckSums = new(api, CollectionPath(prefix, IngressCheckSum.Plural, watchNamespace), null, informerOptions, informerLogger);
                _ingressCheckSums.Changed += OnInformerChanged;
            }

            if (watch.Secrets)
            {
                _secretCheckSums = new(api, CollectionPath(prefix, SecretCheckSum.Plural, watchNamespace), null, informerOptions, informerLogger);
                _secretCheckSums.Changed += OnInformerChanged;
            }
        }

        _ingresses.Changed += OnInformerChanged;
        _ingressClasses.Changed += OnInformerChanged;
        _services.Changed += OnInformerChanged;
        _endpointSlices.Changed += OnInformerChanged;
        _secrets.Changed += OnInformerChanged;
    }

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
    public IReadOnlyList<string> Paths =>
    [
        _ingresses.Path, _ingressClasses.Path, _services.Path, _endpointSlices.Path, _secrets.Path,
        .. _ingressCheckSums is null ? Array.Empty<string>() : [_ingressCheckSums.Path],
        .. _secretCheckSums is null ? Array.Empty<string>() : [_secretCheckSums.Path],
    ];

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
        _running =
        [
            Task.Run(() => _ingresses.RunAsync(stopping), CancellationToken.None),
            Task.Run(() => _ingressClasses.RunAsync(stopping), CancellationToken.None),
            Task.Run(() => _services.RunAsync(stopping), CancellationToken.None),
            Task.Run(() => _endpointSlices.RunAsync(stopping), CancellationToken.None),
            Task.Run(() => _secrets.RunAsync(stopping), CancellationToken.None),
            .. _ingressCheckSums is { } ingressCheckSums ? [Task.Run(() => ingressCheckSums.RunAsync(stopping), CancellationToken.None)] : Array.Empty<Task>(),
            .. _secretCheckSums is { } secretCheckSums ? [Task.Run(() => secretCheckSums.RunAsync(stopping), CancellationToken.None)] : Array.Empty<Task>(),
        ];

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
        if (!(_ingresses.HasSynced && _ingressClasses.HasSynced && _services.HasSynced && _endpointSlices.HasSynced && _secrets.HasSynced
            && (_ingressCheckSums?.HasSynced ?? true) && (_secretCheckSums?.HasSynced ?? true)))
        {
            // Until every kind is listed a snapshot would be partial; the last informer to sync builds the first one.
            return;
        }

        ResourceSnapshot snapshot;
        lock (_snapshotLock)
        {
            snapshot = new ResourceSnapshot
            {
                Ingresses = _ingresses.Items,
                IngressClasses = _ingressClasses.Items,
                Services = _services.Items,
                EndpointSlices = _endpointSlices.Items,
                Secrets = _secrets.Items,
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
}
