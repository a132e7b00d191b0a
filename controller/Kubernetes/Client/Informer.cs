using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Models;
using Gatehouse.Controller.Sources;

namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// Keeps an up-to-date cache of one resource collection: lists it (in pages), then watches from the
/// list's resourceVersion. A dropped watch resumes from the last resourceVersion seen (events and
/// bookmarks advance it), so nothing is missed or replayed; when that version has been compacted away
/// (410 Gone) it lists again and replaces the cache. Failures are retried with jittered exponential
/// backoff, forever: an unreachable API server must not stop the controller, only delay it.
/// </summary>
public sealed class Informer<T>
    where T : KubernetesObject
{
    private readonly IKubernetesApi _api;
    private readonly string _path;
    private readonly ListRequest _selectors;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ImmutableSortedDictionary<string, T> _items = ImmutableSortedDictionary.Create<string, T>(StringComparer.Ordinal);
    private volatile string? _resourceVersion;
    private bool _watchProgressed;
    private volatile string? _failure;
    private readonly Func<T, bool>? _keep;

    /// <param name="path">Collection path, e.g. "/apis/networking.k8s.io/v1/ingresses".</param>
    /// <param name="selectors">Field and label selectors applied to both list and watch (paging fields are ignored).</param>
    /// <param name="keep">A client-side filter for what selectors cannot express: objects it refuses are not
    /// cached, and an object that stops qualifying leaves the cache as if deleted.</param>
    public Informer(IKubernetesApi api, string path, ListRequest? selectors, InformerOptions options, ILogger logger, Func<T, bool>? keep = null)
    {
        _keep = keep;
        _api = api ?? throw new ArgumentNullException(nameof(api));
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _selectors = new ListRequest { FieldSelector = selectors?.FieldSelector, LabelSelector = selectors?.LabelSelector };
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public string Path => _path;

    /// <summary>True once the first complete list has been loaded into the cache.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Completes when <see cref="HasSynced"/> becomes true.</summary>
    public Task Synced => _synced.Task;

    /// <summary>The cache, keyed "namespace/name" (name alone when cluster-scoped). Never mutated; replaced on change.</summary>
    public ImmutableSortedDictionary<string, T> Items => _items;

    /// <summary>The resourceVersion a resumed watch would start from.</summary>
    public string? ResourceVersion => _resourceVersion;

    /// <summary>Raised after <see cref="Items"/> changed (and after the first list, even if empty). Handlers must be quick.</summary>
    public event EventHandler? Changed;

    /// <summary>
    /// The last failure of a list or watch, until a list succeeds or the server accepts a watch. Null while healthy.
    /// </summary>
    public string? Failure => _failure;

    /// <summary>Raised whenever <see cref="ResourceVersion"/> moves, bookmarks included; lets tests await a bookmark being applied.</summary>
    internal event Action<string>? ResourceVersionAdvanced;

    /// <summary>Lists and watches until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Consecutive failures without progress; progress is a watch event or a cleanly ended watch.
        var failures = 0;
        var mustList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                if (mustList)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                    _failure = null;
                    mustList = false;
                }

                await WatchAsync(cancellationToken).ConfigureAwait(false);

                // The server ended the stream (its timeoutSeconds): the connection was healthy, resume at once.
                TakeProgress();
                failures = 0;
                continue;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException ex) when (ex.IsGone)
            {
                _logger.LogInformation("{Operation} of {Path} at resourceVersion {Version} expired (410 Gone); listing again",
                    mustList ? "List" : "Watch", _path, _resourceVersion);
                failures = TakeProgress() ? 1 : failures + 1;
                mustList = true;

                // The first 410 after a working watch relists at once; repeated ones (a server that keeps
                // expiring our versions, or an expired continue token) back off like any failure.
                if (failures == 1)
                {
                    continue;
                }

                delay = Backoff(failures - 1);
                _logger.LogWarning("Repeated 410 Gone on {Path}; listing again in {Delay} ms", _path, (int)delay.TotalMilliseconds);
            }
            catch (Exception ex)
            {
                _failure = $"{(mustList ? "list" : "watch")} {_path} failed: {ex.Message}";
                failures = TakeProgress() ? 1 : failures + 1;
                delay = Backoff(failures);
                _logger.LogWarning("{Operation} {Path} failed ({Reason}); retrying in {Delay} ms",
                    mustList ? "List" : "Watch", _path, ex.Message, (int)delay.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Whether a usable watch event arrived since the last call; resets the flag.</summary>
    private bool TakeProgress()
    {
        var progressed = _watchProgressed;
        _watchProgressed = false;
        return progressed;
    }

    /// <summary>
    /// A random delay in the upper half of a window that doubles per failure up to the cap: spread out so
    /// controllers reconnecting after an API server restart do not stampede it.
    /// </summary>
    private TimeSpan Backoff(int failures)
    {
        var window = _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20));
        window = Math.Min(window, _options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((window / 2) + (Random.Shared.NextDouble() * window / 2));
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
        string? continueToken = null;
        string? listVersion;
        do
        {
            var page = await _api.ListAsync<T>(
                _path,
                _selectors with { Limit = _options.PageSize, Continue = continueToken },
                cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (_keep is null || _keep(item))
                {
                    builder[Key(item)] = item;
                }
            }

            // Every page reports the version of the consistent snapshot the pages are cut from.
            listVersion = page.Metadata.ResourceVersion;
            continueToken = page.Metadata.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        if (string.IsNullOrEmpty(listVersion))
        {
            throw new KubernetesApiException($"list of {_path} has no metadata.resourceVersion");
        }

        var previous = _items;
        var next = builder.ToImmutable();
        var (added, updated, deleted) = Diff(previous, next);
        _items = next;
        _resourceVersion = listVersion;
        _logger.LogInformation("Listed {Path} at resourceVersion {Version}: {Count} objects ({Added} added, {Updated} updated, {Deleted} deleted)",
            _path, listVersion, next.Count, added, updated, deleted);

        var first = _synced.TrySetResult();
        if (first || added + updated + deleted > 0)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <summary>Applies events until the stream ends; sets <see cref="_watchProgressed"/> on the first one (the connection works).</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var events = _api.WatchAsync<T>(
            _path, _resourceVersion!, _selectors.FieldSelector, _selectors.LabelSelector, allowWatchBookmarks: true, _options.WatchTimeoutSeconds,
            opened: () => _failure = null, cancellationToken);
        await foreach (var watchEvent in events.ConfigureAwait(false))
        {
            switch (watchEvent.Type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    var item = watchEvent.Object ?? throw new KubernetesApiException($"{watchEvent.Type} event without an object from {_path}");
                    Advance(item);
                    if (_keep is null || _keep(item))
                    {
                        _items = _items.SetItem(Key(item), item);
                    }
                    else if (_items.ContainsKey(Key(item)))
                    {
                        _items = _items.Remove(Key(item));
                    }
                    else
                    {
                        // Filtered out and never cached: nothing changed.
                        break;
                    }

                    Changed?.Invoke(this, EventArgs.Empty);
                    break;
                case WatchEventType.Deleted:
                    var gone = watchEvent.Object ?? throw new KubernetesApiException($"DELETED event without an object from {_path}");
                    _items = _items.Remove(Key(gone));
                    Advance(gone);
                    Changed?.Invoke(this, EventArgs.Empty);
                    break;
                case WatchEventType.Bookmark:
                    // Nothing changed, but resuming from here skips everything the server already filtered out.
                    if (watchEvent.Object is { } bookmark)
                    {
                        Advance(bookmark);
                    }

                    break;
                case WatchEventType.Error:
                    var status = watchEvent.Status;
                    throw new KubernetesApiException(
                        (System.Net.HttpStatusCode)(status?.Code ?? 500),
                        status,
                        $"watch of {_path} failed: {status?.Code} {status?.Reason}: {status?.Message}");
                default:
                    _logger.LogDebug("Ignoring watch event {Type} on {Path}", watchEvent.Type, _path);
                    break;
            }

            // Only after a usable event: a server answering every watch with ERROR is not progress.
            _watchProgressed = true;
        }
    }

    private void Advance(T item)
    {
        if (!string.IsNullOrEmpty(item.Metadata.ResourceVersion))
        {
            _resourceVersion = item.Metadata.ResourceVersion;
            ResourceVersionAdvanced?.Invoke(item.Metadata.ResourceVersion);
        }
    }

    private static string Key(T item)
        => ResourceSnapshot.Key(item.Metadata.Namespace, item.Metadata.Name ?? throw new KubernetesApiException("object without metadata.name"));

    private static (int Added, int Updated, int Deleted) Diff(ImmutableSortedDictionary<string, T> before, ImmutableSortedDictionary<string, T> after)
    {
        int added = 0, updated = 0, deleted = 0;
        foreach (var (key, item) in after)
        {
            if (!before.TryGetValue(key, out var old))
            {
                added++;
            }
            else if (!string.Equals(old.Metadata.ResourceVersion, item.Metadata.ResourceVersion, StringComparison.Ordinal))
            {
                updated++;
            }
        }

        foreach (var key in before.Keys)
        {
            if (!after.ContainsKey(key))
            {
                deleted++;
            }
        }

        return (added, updated, deleted);
    }
}
