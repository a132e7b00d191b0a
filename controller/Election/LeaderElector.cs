using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Election;

/// <summary>
/// Elects one leader among the controller replicas with a Lease, the way client-go's leaderelection
/// does: every <see cref="LeaderElectionOptions.RetryPeriod"/> each replica reads the Lease; the holder
/// renews it, the others take it once it has not changed for its lease duration (measured on their own
/// clock from when they saw it change, so clock skew between nodes does not matter). Every write
/// carries the resourceVersion read, so two replicas racing for an expired lease cannot both win: the
/// second gets 409 Conflict. A leader that cannot renew within the renew deadline steps down before
/// anyone else may take over. On shutdown the leader releases the lease so another replica takes over
/// at its next retry instead of after the lease duration.
/// </summary>
public sealed class LeaderElector : BackgroundService
{
    private readonly IKubernetesApi _api;
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile bool _isLeader;

    // What we last saw of the lease, and when (our clock).
    private string? _observedHolder;
    private DateTimeOffset? _observedRenewTime;
    private long _observedAt;
    private long _lastRenewed;

    public LeaderElector(IKubernetesApi api, LeaderElectionOptions options, ILogger<LeaderElector> logger, TimeProvider? time = null)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;
    }

    public bool IsLeader => _isLeader;

    public string Identity => _options.Identity;

    /// <summary>Raised (on the elector's task) when this replica becomes or stops being the leader; the argument is the new state.</summary>
    public event EventHandler<bool>? LeadershipChanged;

    private string LeasePath => $"{LeaseCollection}/{Uri.EscapeDataString(_options.LeaseName)}";

    private string LeaseCollection => $"/apis/coordination.k8s.io/v1/namespaces/{Uri.EscapeDataString(_options.Namespace)}/leases";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.LogInformation("Leader election: lease {Namespace}/{Lease} as {Identity}", _options.Namespace, _options.LeaseName, _options.Identity);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await TryAcquireOrRenewAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(_options.RetryPeriod, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; StopAsync releases.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_isLeader)
        {
            await ReleaseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One round: read the lease; renew it if ours, take it if free or expired. Never throws except on cancellation.</summary>
    internal async Task TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = _time.GetUtcNow();
            var lease = await _api.GetAsync<Lease>(LeasePath, cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                await _api.CreateAsync(LeaseCollection, new Lease
                {
                    ApiVersion = "coordination.k8s.io/v1",
                    Kind = "Lease",
                    Metadata = new ObjectMeta { Name = _options.LeaseName, Namespace = _options.Namespace },
                    Spec = NewSpec(now, acquireTime: now, transitions: 0),
                }, cancellationToken).ConfigureAwait(false);
                Renewed();
                return;
            }

            var spec = lease.Spec ?? new LeaseSpec();
            Observe(spec);
            var ours = spec.HolderIdentity == _options.Identity;
            if (!ours && !string.IsNullOrEmpty(spec.HolderIdentity) && !ObservedExpired(spec))
            {
                SetLeader(false);
                return;
            }

            // Free, expired or ours: write with the resourceVersion we read, so a racing replica's write makes ours fail.
            lease.Spec = ours
                ? NewSpec(now, spec.AcquireTime ?? now, spec.LeaseTransitions ?? 0)
                : NewSpec(now, acquireTime: now, transitions: (spec.LeaseTransitions ?? 0) + 1);
            await _api.ReplaceAsync(LeasePath, lease, cancellationToken).ConfigureAwait(false);
            if (!ours)
            {
                _logger.LogInformation("Took over lease {Lease} from '{Previous}'", _options.LeaseName, spec.HolderIdentity);
            }

            Renewed();
        }
        catch (KubernetesApiException ex) when (ex.IsConflict)
        {
            // Someone else wrote first; the next round reads their write.
            _logger.LogDebug("Lease {Lease} changed while we wrote it", _options.LeaseName);
            StepDownIfRenewDeadlinePassed();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Leader election: lease {Namespace}/{Lease} unavailable: {Error}", _options.Namespace, _options.LeaseName, ex.Message);
            StepDownIfRenewDeadlinePassed();
        }
    }

    private LeaseSpec NewSpec(DateTimeOffset now, DateTimeOffset acquireTime, int transitions) => new()
    {
        HolderIdentity = _options.Identity,
        LeaseDurationSeconds = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds),
        AcquireTime = acquireTime,
        RenewTime = now,
        LeaseTransitions = transitions,
    };

    private void Observe(LeaseSpec spec)
    {
        if (spec.HolderIdentity != _observedHolder || spec.RenewTime != _observedRenewTime || _observedAt == 0)
        {
            _observedHolder = spec.HolderIdentity;
            _observedRenewTime = spec.RenewTime;
            _observedAt = _time.GetTimestamp();
        }
    }

    private bool ObservedExpired(LeaseSpec spec)
    {
        var duration = spec.LeaseDurationSeconds is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : _options.LeaseDuration;
        return _time.GetElapsedTime(_observedAt) > duration;
    }

    private void Renewed()
    {
        _lastRenewed = _time.GetTimestamp();
        SetLeader(true);
    }

    private void StepDownIfRenewDeadlinePassed()
    {
        if (_isLeader && _time.GetElapsedTime(_lastRenewed) > _options.RenewDeadline)
        {
            _logger.LogWarning("Could not renew lease {Lease} within {Deadline}; stepping down", _options.LeaseName, _options.RenewDeadline);
            SetLeader(false);
        }
    }

    private void SetLeader(bool leader)
    {
        if (_isLeader == leader)
        {
            return;
        }

        _isLeader = leader;
        _logger.LogInformation(leader ? "Became the leader ({Identity})" : "No longer the leader ({Identity})", _options.Identity);
        LeadershipChanged?.Invoke(this, leader);
    }

    private async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        SetLeader(false);
        try
        {
            var lease = await _api.GetAsync<Lease>(LeasePath, cancellationToken).ConfigureAwait(false);
            if (lease?.Spec is not { } spec || spec.HolderIdentity != _options.Identity)
            {
                return;
            }

            // As client-go: an empty holder with a one-second duration; the next replica takes it at its next retry.
            spec.HolderIdentity = null;
            spec.LeaseDurationSeconds = 1;
            spec.RenewTime = _time.GetUtcNow();
            await _api.ReplaceAsync(LeasePath, lease, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Released lease {Lease}", _options.LeaseName);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Could not release lease {Lease}: {Error}", _options.LeaseName, ex.Message);
        }
    }
}
