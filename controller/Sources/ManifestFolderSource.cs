using System.Collections.Immutable;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Sources;

/// <summary>
/// Serves the *.yaml, *.yml and *.json files directly inside one directory (not subdirectories;
/// dot-files such as editor lock files are skipped) as a <see cref="ResourceSnapshot"/>. The whole
/// folder is re-read after any relevant change once it has been quiet for the debounce period, so an
/// editor's save (write temp file, rename over the original) or a `cp *.yaml` is one snapshot. Every
/// file is read, but only files whose text changed are parsed and merged into the previous snapshot.
/// </summary>
public sealed class ManifestFolderSource : IResourceSource, IDisposable
{
    private readonly string _directory;
    private readonly TimeSpan _debounce;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private readonly TimeProvider _time;
    private readonly ITimer _debounceTimer;
    private FileSystemWatcher? _watcher;
    private volatile ResourceSnapshot _current = ResourceSnapshot.Empty;
    private volatile bool _hasSynced;
    private volatile bool _lastReadComplete = true;
    private volatile bool _disposed;
    private long _version;

    // One reload at a time, without blocking: a timer callback that finds a reload running leaves a
    // request for it and returns. Blocking instead parks a pool thread per file event behind the lock
    // while the running reload's parallel parse waits for a pool thread: a folder rewritten every few
    // milliseconds starved the pool and the controller never finished its first read.
    private int _reloading;
    private int _reloadRequested;

    // Parsed files by path, with the bytes they were parsed from. A change usually touches one file of
    // many; re-parsing only that one keeps change-to-served time flat as the folder grows (YAML parsing
    // dominated it at 10k Ingresses). Bytes, not text: an unchanged file costs a read into _readBuffer
    // and a compare, no decoding and no string (a 6 MB string per pass at 10k Ingresses in one file).
    // Only touched under _reloadLock.
    private Dictionary<string, (byte[] Content, ManifestParseResult Result)> _parsed = new(StringComparer.Ordinal);
    private byte[] _readBuffer = new byte[64 * 1024];
    private long _pendingSince;

    // The last merged snapshot and which file each object in it came from, for merging only what
    // changed. Only touched under _reloadLock.
    private ResourceSnapshot? _merged;
    private Dictionary<(string Kind, string Key), string> _origins = [];
    private bool _mergedHasDuplicates;

    /// <summary>How many debounce periods a stream of events may defer a reload.</summary>
    internal const int MaxDeferrals = 10;

    public ManifestFolderSource(string directory, TimeSpan debounce, ILogger<ManifestFolderSource> logger, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(debounce, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(logger);
        _directory = Path.GetFullPath(directory);
        _debounce = debounce;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _debounceTimer = _time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Name => $"manifests:{_directory}";

    /// <summary>File events are debounced here before the folder is read (see ScheduleReload).</summary>
    public bool SettlesChanges => true;

    public bool HasSynced => _hasSynced;

    public bool LastReadComplete => _lastReadComplete;

    public ResourceSnapshot Current => _current;

    public event EventHandler<ResourceSnapshot>? Changed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Directory.Exists(_directory))
        {
            throw new DirectoryNotFoundException($"Manifests directory '{_directory}' does not exist.");
        }

        // Watch before the first read so a change made during it is not lost; the extra reload is harmless.
        _watcher = new FileSystemWatcher(_directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Created += OnFileEvent;
        _watcher.Changed += OnFileEvent;
        _watcher.Deleted += OnFileEvent;
        _watcher.Renamed += OnRenamed;
        _watcher.Error += OnWatcherError;
        _watcher.EnableRaisingEvents = true;

        cancellationToken.ThrowIfCancellationRequested();
        Reload();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _disposed = true;
        _watcher?.Dispose();
        _debounceTimer.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (IsRelevant(e.Name))
        {
            ScheduleReload();
        }
    }

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        // Editors save by writing "x.yaml.tmp" and renaming it to "x.yaml": the new name matters.
        if (IsRelevant(e.Name) || IsRelevant(e.OldName))
        {
            ScheduleReload();
        }
    }

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        // Typically an inotify queue overflow: events were lost, so re-read everything.
        _logger.LogWarning(e.GetException(), "File watcher error on {Directory}; re-reading all manifests", _directory);
        ScheduleReload();
    }

    /// <summary>
    /// Manifest files, plus Kubernetes ConfigMap volume internals ("..data" is a symlink swapped
    /// atomically on update, which is the only event such a mount produces).
    /// </summary>
    private static bool IsRelevant(string? name)
        => name is not null && (name.StartsWith("..", StringComparison.Ordinal) || ManifestParser.IsManifestFile(name));

    private void ScheduleReload()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            // Every event pushes the deadline out again, so the reload runs after a quiet period; but
            // a folder that never goes quiet (a tool rewriting files in a loop) must still be read, so
            // a reload is never deferred longer than MaxDeferrals debounce periods.
            var now = _time.GetTimestamp();
            Interlocked.CompareExchange(ref _pendingSince, now, 0);
            var waited = _time.GetElapsedTime(Interlocked.Read(ref _pendingSince), now);
            var remaining = (_debounce * MaxDeferrals) - waited;
            _debounceTimer.Change(remaining <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(_debounce.Ticks, remaining.Ticks)), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Raced with Dispose.
        }
    }

    private void Reload()
    {
        if (_disposed)
        {
            return;
        }

        // Request, then try to own: either this call owns the reload, or the owner's check after it
        // releases sees the request (both are full fences), so no change is left unread.
        Interlocked.Exchange(ref _reloadRequested, 1);
        if (Interlocked.CompareExchange(ref _reloading, 1, 0) != 0)
        {
            return;
        }

        try
        {
            Interlocked.Exchange(ref _reloadRequested, 0);
            ReloadFolder();
        }
        finally
        {
            Interlocked.Exchange(ref _reloading, 0);
        }

        if (Volatile.Read(ref _reloadRequested) != 0)
        {
            // Files changed while the folder was read: debounce those changes like any others.
            ScheduleReload();
        }
    }

    private void ReloadFolder()
    {
        Interlocked.Exchange(ref _pendingSince, 0);

        ResourceSnapshot snapshot;
        lock (_reloadLock)
        {
            bool complete;
            try
            {
                snapshot = ReadFolder(out complete);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Keep serving the last good view rather than publishing an empty config.
                _lastReadComplete = false;
                _logger.LogError(ex, "Cannot list manifests directory {Directory}; keeping the previous snapshot", _directory);
                return;
            }

            // Set before the snapshot so a loop woken by it never pairs this snapshot with a stale flag.
            _lastReadComplete = complete;
            _current = snapshot;
            _hasSynced = true;
            _logger.LogInformation(
                "Loaded manifests from {Directory}: {Ingresses} Ingress, {Classes} IngressClass, {Services} Service, {Slices} EndpointSlice, {Secrets} Secret",
                _directory, snapshot.Ingresses.Count, snapshot.IngressClasses.Count, snapshot.Services.Count,
                snapshot.EndpointSlices.Count, snapshot.Secrets.Count);

            // Raised under the lock so observers see snapshots in version order even if reloads overlap.
            Changed?.Invoke(this, snapshot);
        }
    }

    /// <param name="complete">False if any manifest file could not be read or was (partly) unparsable.</param>
    private ResourceSnapshot ReadFolder(out bool complete)
    {
        complete = true;
        var files = Directory.EnumerateFiles(_directory)
            .Where(path => Path.GetFileName(path) is var name && !name.StartsWith('.') && ManifestParser.IsManifestFile(name))
            .Order(StringComparer.Ordinal)
            .ToList();

        var contents = new List<(string Path, byte[] Content)>(files.Count);
        var toParse = new List<int>();
        var results = new ManifestParseResult?[files.Count];
        foreach (var path in files)
        {
            try
            {
                var read = ReadAllBytes(path);
                if (_parsed.TryGetValue(path, out var cached) && read.SequenceEqual(cached.Content))
                {
                    results[contents.Count] = cached.Result;
                    contents.Add((path, cached.Content));
                }
                else
                {
                    toParse.Add(contents.Count);
                    contents.Add((path, read.ToArray()));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Deleted between listing and reading, or not readable: skip it, the rest still loads.
                _logger.LogWarning("Skipping manifest {File}: cannot read: {Reason}", path, ex.Message);
                complete = false;
            }
        }

        // Files whose bytes are unchanged kept their parse above; the others are parsed on every core
        // (parsing is pure, and YAML parsing dominates a cold start over many files).
        if (toParse.Count == 1)
        {
            var only = toParse[0];
            results[only] = Parse(contents[only].Path, contents[only].Content);
        }
        else if (toParse.Count > 1)
        {
            Parallel.ForEach(toParse, i => results[i] = Parse(contents[i].Path, contents[i].Content));
        }

        var parsed = new Dictionary<string, (byte[] Content, ManifestParseResult Result)>(contents.Count, StringComparer.Ordinal);
        var changed = toParse.Select(i => contents[i].Path).ToList();
        for (var i = 0; i < contents.Count; i++)
        {
            var (path, content) = contents[i];
            var result = results[i]!;
            parsed[path] = (content, result);
            foreach (var problem in result.Problems)
            {
                _logger.LogWarning("Skipping part of manifest {Problem}", problem.ToString());
                complete = false;
            }

            foreach (var kind in result.IgnoredKinds)
            {
                _logger.LogDebug("Ignoring {Kind} in {File}: not a kind the controller uses", kind, Path.GetFileName(path));
            }
        }

        var removed = _parsed.Keys.Where(path => !parsed.ContainsKey(path)).ToList();
        var largest = contents.Count == 0 ? 0 : contents.Max(c => c.Content.Length);
        if (_readBuffer.Length > 64 * 1024 && _readBuffer.Length > 4L * largest)
        {
            // The file that grew the buffer shrank or went away: do not hold its size for ever.
            _readBuffer = new byte[Math.Max(64 * 1024, largest + 1)];
        }

        var version = Interlocked.Increment(ref _version);
        var snapshot = _merged is { } previous && !_mergedHasDuplicates
            ? MergeChanges(previous, changed, removed, parsed, version)
            : null;

        // Files gone from the folder drop out of the cache here.
        _parsed = parsed;
        _merged = snapshot ?? MergeAll(files, parsed, version);
        return _merged;
    }

    /// <summary>
    /// The previous snapshot with only the changed and removed files' objects replaced: a change to one
    /// file of many costs what that file holds, not what the folder holds (rebuilding every sorted
    /// dictionary dominated a change at 100k Ingresses). Null when a changed file defines an object that
    /// another file also defines: then which definition wins depends on file order, and the full merge decides.
    /// </summary>
    private ResourceSnapshot? MergeChanges(
        ResourceSnapshot previous, List<string> changed, List<string> removed,
        Dictionary<string, (byte[] Content, ManifestParseResult Result)> parsed, long version)
    {
        if (changed.Count == 0 && removed.Count == 0)
        {
            return previous with { Version = version };
        }

        var builder = new SnapshotBuilder(previous);
        foreach (var path in changed.Concat(removed))
        {
            if (_parsed.TryGetValue(path, out var old))
            {
                foreach (var obj in old.Result.Objects)
                {
                    var id = Identity(obj);
                    if (_origins.TryGetValue(id, out var owner) && owner == Path.GetFileName(path))
                    {
                        _origins.Remove(id);
                        builder.Remove(obj, id.Key);
                    }
                }
            }
        }

        foreach (var path in changed)
        {
            var fileName = Path.GetFileName(path);
            foreach (var obj in parsed[path].Result.Objects)
            {
                var id = Identity(obj);
                if (_origins.TryGetValue(id, out var owner))
                {
                    if (owner != fileName)
                    {
                        return null;
                    }

                    _logger.LogWarning("{Kind} {Key} is defined in both {Earlier} and {Later}; using {Later}", id.Kind, id.Key, owner, fileName, fileName);
                }

                _origins[id] = fileName;
                builder.Set(obj, id.Key);
            }
        }

        return builder.ToSnapshot(version);
    }

    /// <summary>Every file's objects in file-name order; like "kubectl apply -f DIR", a later definition replaces an earlier one.</summary>
    private ResourceSnapshot MergeAll(List<string> files, Dictionary<string, (byte[] Content, ManifestParseResult Result)> parsed, long version)
    {
        var builder = new SnapshotBuilder(ResourceSnapshot.Empty);
        var origins = new Dictionary<(string Kind, string Key), string>();
        var duplicates = false;
        foreach (var path in files)
        {
            if (!parsed.TryGetValue(path, out var file))
            {
                continue;
            }

            var fileName = Path.GetFileName(path);
            foreach (var obj in file.Result.Objects)
            {
                var id = Identity(obj);
                if (origins.TryGetValue(id, out var earlier))
                {
                    duplicates |= earlier != fileName;
                    _logger.LogWarning("{Kind} {Key} is defined in both {Earlier} and {Later}; using {Later}",
                        id.Kind, id.Key, earlier, fileName, fileName);
                }

                origins[id] = fileName;
                builder.Set(obj, id.Key);
            }
        }

        _origins = origins;
        _mergedHasDuplicates = duplicates;
        return builder.ToSnapshot(version);
    }

    /// <summary>The whole file into the reused read buffer (grown as needed); valid until the next read.</summary>
    private ReadOnlySpan<byte> ReadAllBytes(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        if (length >= Array.MaxLength)
        {
            throw new IOException($"{path} is too large to be a manifest ({length} bytes).");
        }

        if (_readBuffer.Length <= length)
        {
            _readBuffer = new byte[Math.Max(length + 1, _readBuffer.Length * 2L)];
        }

        // Until end of file, not until the length read above: the file may grow while it is read.
        var total = 0;
        while (RandomAccess.Read(handle, _readBuffer.AsSpan(total), total) is var read and > 0)
        {
            total += read;
            if (total == _readBuffer.Length)
            {
                Array.Resize(ref _readBuffer, (int)Math.Min(Array.MaxLength, _readBuffer.Length * 2L));
            }
        }

        return _readBuffer.AsSpan(0, total);
    }

    /// <summary>Decodes as File.ReadAllText does (UTF-8 unless a byte order mark says otherwise), then parses.</summary>
    private static ManifestParseResult Parse(string path, byte[] content)
    {
        using var reader = new StreamReader(new MemoryStream(content, writable: false), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return ManifestParser.Parse(path, reader.ReadToEnd());
    }

    private static (string Kind, string Key) Identity(KubernetesObject obj)
        => (obj.Kind ?? obj.GetType().Name, ResourceSnapshot.Key(obj.Metadata.Namespace, obj.Metadata.Name!));

    /// <summary>Mutable view of a snapshot's dictionaries; builders of immutable dictionaries share what is not touched.</summary>
    private sealed class SnapshotBuilder(ResourceSnapshot from)
    {
        private readonly ImmutableSortedDictionary<string, Ingress>.Builder _ingresses = from.Ingresses.ToBuilder();
        private readonly ImmutableSortedDictionary<string, IngressClass>.Builder _classes = from.IngressClasses.ToBuilder();
        private readonly ImmutableSortedDictionary<string, Service>.Builder _services = from.Services.ToBuilder();
        private readonly ImmutableSortedDictionary<string, EndpointSlice>.Builder _slices = from.EndpointSlices.ToBuilder();
        private readonly ImmutableSortedDictionary<string, Secret>.Builder _secrets = from.Secrets.ToBuilder();
        private readonly ImmutableSortedDictionary<string, IngressCheckSum>.Builder _ingressCheckSums = from.IngressCheckSums.ToBuilder();
        private readonly ImmutableSortedDictionary<string, SecretCheckSum>.Builder _secretCheckSums = from.SecretCheckSums.ToBuilder();

        public void Set(KubernetesObject obj, string key)
        {
            switch (obj)
            {
                case Ingress ingress: _ingresses[key] = ingress; break;
                case IngressClass ingressClass: _classes[key] = ingressClass; break;
                case Service service: _services[key] = service; break;
                case EndpointSlice slice: _slices[key] = slice; break;
                case Secret secret: _secrets[key] = secret; break;
                case IngressCheckSum checkSum: _ingressCheckSums[key] = checkSum; break;
                case SecretCheckSum checkSum: _secretCheckSums[key] = checkSum; break;
            }
        }

        public void Remove(KubernetesObject obj, string key)
        {
            _ = obj switch
            {
                Ingress => _ingresses.Remove(key),
                IngressClass => _classes.Remove(key),
                Service => _services.Remove(key),
                EndpointSlice => _slices.Remove(key),
                Secret => _secrets.Remove(key),
                IngressCheckSum => _ingressCheckSums.Remove(key),
                SecretCheckSum => _secretCheckSums.Remove(key),
                _ => false,
            };
        }

        public ResourceSnapshot ToSnapshot(long version) => new()
        {
            Ingresses = _ingresses.ToImmutable(),
            IngressClasses = _classes.ToImmutable(),
            Services = _services.ToImmutable(),
            EndpointSlices = _slices.ToImmutable(),
            Secrets = _secrets.ToImmutable(),
            IngressCheckSums = _ingressCheckSums.ToImmutable(),
            SecretCheckSums = _secretCheckSums.ToImmutable(),
            Version = version,
        };
    }
}
