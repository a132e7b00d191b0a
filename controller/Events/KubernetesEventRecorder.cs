using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Events;

/// <summary>
/// Writes <see cref="ObjectEvent"/>s as core/v1 Events (what `kubectl describe` lists) from a
/// background task. <see cref="Record"/> only enqueues: a slow or unreachable API server never holds
/// up the control loop, and when the queue is full the event is dropped (and logged).
/// A repeat of an event already written (same object, type, reason and message) patches that event's
/// count and lastTimestamp instead of creating another. Each object gets a burst of
/// <see cref="EventRecorderOptions.Burst"/> writes, refilled at one per <see cref="EventRecorderOptions.RefillInterval"/>,
/// so an object flapping in a tight loop cannot flood the API server.
/// </summary>
public sealed class KubernetesEventRecorder : IEventRecorder, IAsyncDisposable
{
    public const string Component = "gatehouse-controller";

    private readonly IKubernetesApi _api;
    private readonly EventRecorderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<ObjectEvent> _queue;
    private readonly Dictionary<EventKey, (string Namespace, string Name, int Count, DateTimeOffset First)> _written = [];
    private readonly Dictionary<(string Kind, string Namespace, string Name), (double Tokens, DateTimeOffset Updated)> _buckets = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private long _dropped;

    public KubernetesEventRecorder(IKubernetesApi api, EventRecorderOptions options, ILogger<KubernetesEventRecorder> logger, TimeProvider? time = null)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;
        _queue = System.Threading.Channels.Channel.CreateBounded<ObjectEvent>(new BoundedChannelOptions(options.QueueCapacity)
        {
            // Wait mode, yet never awaited: TryWrite then answers false when full (DropWrite would claim success), so drops are counted.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _worker = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Events not written: queue full, rate limited, or refused by the API server.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(ObjectEvent objectEvent)
    {
        if (objectEvent is null)
        {
            return;
        }

        if (!_queue.Writer.TryWrite(objectEvent))
        {
            Interlocked.Increment(ref _dropped);
            _logger.LogDebug("Event queue full; dropping {Reason} event on {Kind} {Namespace}/{Name}", objectEvent.Reason, objectEvent.Kind, objectEvent.Namespace, objectEvent.Name);
        }
    }

    /// <summary>Writes what is queued (bounded by the shutdown grace), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_worker, Task.Delay(_options.DrainTimeout, _time)).ConfigureAwait(false) != _worker)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _worker.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var objectEvent in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await WriteAsync(objectEvent, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Events are best effort: the log line the loop wrote already carries the same information.
                    Interlocked.Increment(ref _dropped);
                    _logger.LogWarning("Could not write {Reason} event on {Kind} {Namespace}/{Name}: {Error}",
                        objectEvent.Reason, objectEvent.Kind, objectEvent.Namespace, objectEvent.Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down with events still queued; they are dropped.
        }
    }

    private async Task WriteAsync(ObjectEvent objectEvent, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!TakeToken((objectEvent.Kind, objectEvent.Namespace, objectEvent.Name), now))
        {
            Interlocked.Increment(ref _dropped);
            _logger.LogDebug("Rate limit: dropping {Reason} event on {Kind} {Namespace}/{Name}", objectEvent.Reason, objectEvent.Kind, objectEvent.Namespace, objectEvent.Name);
            return;
        }

        var key = new EventKey(objectEvent.Kind, objectEvent.Namespace, objectEvent.Name, objectEvent.Uid, objectEvent.Severity, objectEvent.Reason, objectEvent.Message);
        if (_written.TryGetValue(key, out var existing))
        {
            var count = existing.Count + 1;
            var patch = new JsonObject
            {
                ["count"] = count,
                ["lastTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            };
            try
            {
                await _api.PatchAsync<Event>(EventPath(existing.Namespace, existing.Name), patch, cancellationToken).ConfigureAwait(false);
                _written[key] = existing with { Count = count };
                return;
            }
            catch (KubernetesApiException ex) when (ex.IsNotFound)
            {
                // Expired (events live an hour by default) or deleted: start a new one.
                _written.Remove(key);
            }
        }

        var namespaceOfEvent = objectEvent.Namespace.Length > 0 ? objectEvent.Namespace : "default";
        var name = $"{objectEvent.Name}.{now.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000):x}";
        var created = await _api.CreateAsync(EventCollection(namespaceOfEvent), new Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new ObjectMeta { Name = name, Namespace = namespaceOfEvent },
            InvolvedObject = new ObjectReference
            {
                ApiVersion = objectEvent.ApiVersion,
                Kind = objectEvent.Kind,
                Namespace = objectEvent.Namespace.Length > 0 ? objectEvent.Namespace : null,
                Name = objectEvent.Name,
                Uid = objectEvent.Uid,
            },
            Type = objectEvent.Severity == EventSeverity.Warning ? "Warning" : "Normal",
            Reason = objectEvent.Reason,
            Message = objectEvent.Message,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new EventSource { Component = Component, Host = _options.Instance },
            ReportingComponent = Component,
            ReportingInstance = _options.Instance,
        }, cancellationToken).ConfigureAwait(false);

        if (_written.Count >= _options.AggregationCacheSize)
        {
            // Oldest-first would need an LRU; forgetting everything only costs one new Event per repeat.
            _written.Clear();
        }

        _written[key] = (namespaceOfEvent, created.Metadata.Name ?? name, 1, now);
    }

    private bool TakeToken((string Kind, string Namespace, string Name) involved, DateTimeOffset now)
    {
        var (tokens, updated) = _buckets.TryGetValue(involved, out var bucket) ? bucket : (_options.Burst, now);
        tokens = Math.Min(_options.Burst, tokens + ((now - updated) / _options.RefillInterval));
        if (tokens < 1)
        {
            _buckets[involved] = (tokens, now);
            return false;
        }

        _buckets[involved] = (tokens - 1, now);
        if (_buckets.Count > _options.AggregationCacheSize)
        {
            // Objects whose budget has refilled are indistinguishable from ones never seen: forget them.
            foreach (var key in _buckets.Where(b => b.Value.Tokens + ((now - b.Value.Updated) / _options.RefillInterval) >= _options.Burst).Select(b => b.Key).ToList())
            {
                _buckets.Remove(key);
            }
        }

        return true;
    }

    private static string EventCollection(string @namespace) => $"/api/v1/namespaces/{Uri.EscapeDataString(@namespace)}/events";

    private static string EventPath(string @namespace, string name) => $"{EventCollection(@namespace)}/{Uri.EscapeDataString(name)}";

    private sealed record EventKey(string Kind, string Namespace, string Name, string? Uid, EventSeverity Severity, string Reason, string Message);
}
