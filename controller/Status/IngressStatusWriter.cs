using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gatehouse.Controller.Election;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Controller.Status;

/// <summary>
/// Keeps status.loadBalancer.ingress of the Ingresses in step with what this controller serves, from
/// a background task and only while this replica is the leader: a served Ingress gets the publish
/// addresses; one we stop serving (class changed, annotation removed) is cleared, if we served it
/// in this process or its status still holds exactly our addresses (so a restart does not forget it,
/// and other controllers' status is never touched). It writes only when the status differs, with a
/// JSON merge patch of the /status subresource.
/// </summary>
public sealed class IngressStatusWriter : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private readonly IKubernetesApi _api;
    private readonly Func<bool> _isLeader;
    private readonly PublishAddresses _addresses;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wakeUp = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<string> _servedBefore = new(StringComparer.Ordinal);

    // What we wrote, per Ingress: at which resourceVersion of the object we saw, so we do not write again until our own write comes back through the watch.
    private readonly Dictionary<string, (string? ResourceVersion, IReadOnlyList<LoadBalancerAddress> Addresses)> _written = new(StringComparer.Ordinal);
    private volatile Observation? _latest;
    private Task _worker = Task.CompletedTask;

    /// <param name="api">The cluster the Ingresses live in (the storage cluster when separate).</param>
    public IngressStatusWriter(IKubernetesApi api, Func<bool> isLeader, PublishAddresses addresses, ILogger<IngressStatusWriter> logger)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _isLeader = isLeader ?? throw new ArgumentNullException(nameof(isLeader));
        _addresses = addresses ?? throw new ArgumentNullException(nameof(addresses));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _addresses.Changed += (_, _) => Wake();
    }

    /// <summary>Follows an elector: writes while it leads, catches up as soon as it becomes leader.</summary>
    public IngressStatusWriter(IKubernetesApi api, LeaderElector elector, PublishAddresses addresses, ILogger<IngressStatusWriter> logger)
        : this(api, () => elector.IsLeader, addresses, logger)
    {
        elector.LeadershipChanged += (_, _) => Wake();
    }

    /// <summary>Status writes that failed (retried).</summary>
    public long Failures { get; private set; }

    /// <summary>Starts following the publish addresses and writing; call once.</summary>
    public void Start()
    {
        _addresses.Start();
        _worker = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Called by the control loop after each pass with the snapshot it translated and the Ingresses it serves.</summary>
    public void Observe(ResourceSnapshot snapshot, IReadOnlySet<string> served)
    {
        _latest = new Observation(snapshot, served);
        Wake();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _worker.ConfigureAwait(false);
        await _addresses.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Wake() => _wakeUp.Writer.TryWrite(true);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _wakeUp.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _wakeUp.Reader.TryRead(out _);
                if (!_isLeader() || _latest is not var (snapshot, served))
                {
                    continue;
                }

                if (!await ReconcileAsync(snapshot, served, cancellationToken).ConfigureAwait(false))
                {
                    _ = Task.Delay(RetryDelay, cancellationToken).ContinueWith(_ => Wake(), TaskScheduler.Default);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Writes every status that differs; false when a write failed.</summary>
    private async Task<bool> ReconcileAsync(ResourceSnapshot snapshot, IReadOnlySet<string> served, CancellationToken cancellationToken)
    {
        var addresses = _addresses.Current;
        var allWritten = true;
        foreach (var (key, ingress) in snapshot.Ingresses)
        {
            var current = LoadBalancerAddress.From(ingress.Status?.LoadBalancer);
            IReadOnlyList<LoadBalancerAddress> desired;
            if (served.Contains(key))
            {
                _servedBefore.Add(key);
                desired = addresses;
            }
            else if (current.Count > 0 && (_servedBefore.Contains(key) || current.SequenceEqual(addresses)))
            {
                desired = [];
            }
            else
            {
                continue;
            }

            if (current.SequenceEqual(desired)
                || (_written.TryGetValue(key, out var written) && written.ResourceVersion == ingress.Metadata.ResourceVersion && written.Addresses.SequenceEqual(desired)))
            {
                continue;
            }

            try
            {
                await _api.PatchAsync<Kubernetes.Models.Ingress>(StatusPath(ingress.Metadata.Namespace!, ingress.Metadata.Name!), Patch(desired), cancellationToken).ConfigureAwait(false);
                _written[key] = (ingress.Metadata.ResourceVersion, desired);
                if (!served.Contains(key))
                {
                    _servedBefore.Remove(key);
                }

                _logger.LogInformation("Ingress {Ingress} status: load balancer [{Addresses}]", key, string.Join(", ", desired));
            }
            catch (KubernetesApiException ex) when (ex.IsNotFound)
            {
                // Deleted meanwhile: nothing to write.
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Failures++;
                allWritten = false;
                _logger.LogWarning("Could not write status of Ingress {Ingress}: {Error}; retrying in {Delay}", key, ex.Message, RetryDelay);
            }
        }

        return allWritten;
    }

    private sealed record Observation(ResourceSnapshot Snapshot, IReadOnlySet<string> Served);

    private static string StatusPath(string @namespace, string name)
        => $"/apis/networking.k8s.io/v1/namespaces/{Uri.EscapeDataString(@namespace)}/ingresses/{Uri.EscapeDataString(name)}/status";

    /// <summary>A merge patch replaces the list whole; null removes it.</summary>
    private static JsonObject Patch(IReadOnlyList<LoadBalancerAddress> addresses)
    {
        JsonNode? entries = addresses.Count == 0 ? null : new JsonArray([.. addresses.Select(a =>
        {
            var entry = new JsonObject();
            if (a.Ip is not null)
            {
                entry["ip"] = a.Ip;
            }

            if (a.Hostname is not null)
            {
                entry["hostname"] = a.Hostname;
            }

            return (JsonNode)entry;
        })]);
        return new JsonObject { ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = entries } } };
    }
}
