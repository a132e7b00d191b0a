using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Status;

/// <summary>
/// The addresses the leader writes into Ingress status: fixed (--publish-status-address) or the load
/// balancer addresses of a Service (--publish-service ns/name), followed with a watch on that one Service.
/// </summary>
public sealed class PublishAddresses : IAsyncDisposable
{
    private readonly Informer<Service>? _service;
    private readonly string? _serviceKey;
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;
    private volatile IReadOnlyList<LoadBalancerAddress> _current;

    private PublishAddresses(IReadOnlyList<LoadBalancerAddress> addresses, Informer<Service>? service, string? serviceKey)
    {
        _current = addresses;
        _service = service;
        _serviceKey = serviceKey;
        if (service is not null)
        {
            service.Changed += (_, _) => Refresh();
        }
    }

    public IReadOnlyList<LoadBalancerAddress> Current => _current;

    /// <summary>What the addresses come from, for logs.</summary>
    public string Description => _serviceKey is null ? $"addresses {string.Join(",", _current)}" : $"Service {_serviceKey}";

    /// <summary>Raised when <see cref="Current"/> changes.</summary>
    public event EventHandler? Changed;

    public static PublishAddresses Fixed(IEnumerable<string> addresses)
        => new([.. addresses.Select(LoadBalancerAddress.Parse)], null, null);

    public static PublishAddresses FromService(IKubernetesApi api, string @namespace, string name, InformerOptions options, ILogger logger)
    {
        // A field selector on the name keeps the watch to this one object.
        var informer = new Informer<Service>(
            api,
            Sources.KubernetesResourceSource.CollectionPath("/api/v1", "services", @namespace),
            new ListRequest { FieldSelector = $"metadata.name={name}" },
            options,
            logger);
        return new PublishAddresses([], informer, $"{@namespace}/{name}");
    }

    public void Start()
    {
        if (_service is not null)
        {
            var stopping = _stopping.Token;
            _running = Task.Run(() => _service.RunAsync(stopping), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Refresh()
    {
        var service = _service!.Items.GetValueOrDefault(_serviceKey!);
        IReadOnlyList<LoadBalancerAddress> addresses = LoadBalancerAddress.From(service?.Status?.LoadBalancer);
        if (addresses.SequenceEqual(_current))
        {
            return;
        }

        _current = addresses.ToImmutableArray();
        Changed?.Invoke(this, EventArgs.Empty);
    }
}
