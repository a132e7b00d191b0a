using System.Text.Json.Nodes;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>
/// The fake API server's etcd: objects per resource (a collection path without namespace, e.g.
/// "/api/v1/services"), one global monotonically increasing resourceVersion, and an event log that
/// watches replay from. Everything happens under one lock so a watch registers exactly between two
/// revisions: it replays up to the current revision and receives every later one live.
/// </summary>
internal sealed class FakeResourceStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly List<(long Revision, string Resource, string Type, JsonObject Object)> _log = [];
    private readonly List<FakeWatch> _watches = [];
    private long _revision = 100;

    public long Revision
    {
        get
        {
            lock (_lock)
            {
                return _revision;
            }
        }
    }

    /// <summary>Watches from a resourceVersion older than this get 410 Gone, as after an etcd compaction.</summary>
    public long CompactedRevision { get; private set; }

    /// <summary>Every change event (not bookmarks) queued to any watch, per resource: lets tests prove nothing was replayed.</summary>
    public int EventsSent(string resource)
    {
        lock (_lock)
        {
            return _eventsSent.GetValueOrDefault(resource);
        }
    }

    private readonly Dictionary<string, int> _eventsSent = new(StringComparer.Ordinal);

    public IReadOnlyList<FakeWatch> OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return [.. _watches];
            }
        }
    }

    /// <summary>Creates or replaces an object; returns its new resourceVersion.</summary>
    public long Upsert(string resource, JsonObject item)
    {
        lock (_lock)
        {
            var stored = (JsonObject)item.DeepClone();
            var key = Key(stored);
            var revision = ++_revision;
            stored["metadata"]!["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var collection = Collection(resource);
            var type = collection.ContainsKey(key) ? "MODIFIED" : "ADDED";
            collection[key] = stored;
            Record(revision, resource, type, stored);
            return revision;
        }
    }

    /// <summary>A copy of one object, or null.</summary>
    public JsonObject? Get(string resource, string? @namespace, string name)
    {
        lock (_lock)
        {
            return Collection(resource).TryGetValue(Key(@namespace, name), out var item) ? (JsonObject)item.DeepClone() : null;
        }
    }

    /// <summary>Creates an object as POST does: 409 Conflict when it exists.</summary>
    public (System.Net.HttpStatusCode Code, JsonObject? Item) Create(string resource, JsonObject item)
    {
        lock (_lock)
        {
            if (Collection(resource).ContainsKey(Key(item)))
            {
                return (System.Net.HttpStatusCode.Conflict, null);
            }

            var stored = (JsonObject)item.DeepClone();
            stored["metadata"]!["uid"] ??= Guid.NewGuid().ToString();
            Upsert(resource, stored);
            return (System.Net.HttpStatusCode.Created, Get(resource, (string?)stored["metadata"]!["namespace"], (string)stored["metadata"]!["name"]!));
        }
    }

    /// <summary>
    /// Changes an existing object as PUT and PATCH do: 404 when absent, 409 Conflict when
    /// <paramref name="expectedResourceVersion"/> is given and no longer current.
    /// </summary>
    public (System.Net.HttpStatusCode Code, JsonObject? Item) Update(
        string resource, string? @namespace, string name, string? expectedResourceVersion, Func<JsonObject, JsonObject> change)
    {
        lock (_lock)
        {
            if (!Collection(resource).TryGetValue(Key(@namespace, name), out var existing))
            {
                return (System.Net.HttpStatusCode.NotFound, null);
            }

            if (!string.IsNullOrEmpty(expectedResourceVersion) && expectedResourceVersion != (string?)existing["metadata"]?["resourceVersion"])
            {
                return (System.Net.HttpStatusCode.Conflict, null);
            }

            var changed = change((JsonObject)existing.DeepClone());
            changed["metadata"] ??= new JsonObject();
            changed["metadata"]!["name"] = name;
            changed["metadata"]!["namespace"] = @namespace;
            changed["metadata"]!["uid"] = existing["metadata"]?["uid"]?.DeepClone();
            Upsert(resource, changed);
            return (System.Net.HttpStatusCode.OK, Get(resource, @namespace, name));
        }
    }

    /// <summary>Deletes an object (the DELETED event carries its last state at a new resourceVersion); false when absent.</summary>
    public bool Delete(string resource, string? @namespace, string name)
    {
        lock (_lock)
        {
            var key = string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";
            if (!Collection(resource).Remove(key, out var removed))
            {
                return false;
            }

            var revision = ++_revision;
            var tombstone = (JsonObject)removed.DeepClone();
            tombstone["metadata"]!["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Record(revision, resource, "DELETED", tombstone);
            return true;
        }
    }

    /// <summary>Forgets history up to the current revision: older watches get 410 Gone.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            CompactedRevision = _revision;
            _log.RemoveAll(entry => entry.Revision <= _revision);
        }
    }

    /// <summary>A consistent copy of the matching objects, in key order, and the revision it was taken at.</summary>
    public (long Revision, List<JsonObject> Items) List(string resource, string? @namespace, FakeSelectors selectors)
    {
        lock (_lock)
        {
            var items = Collection(resource).Values
                .Where(item => (@namespace is null || string.Equals((string?)item["metadata"]?["namespace"], @namespace, StringComparison.Ordinal)) && selectors.Matches(item))
                .Select(item => (JsonObject)item.DeepClone())
                .ToList();
            return (_revision, items);
        }
    }

    /// <summary>Registers a watch and queues every matching event after <paramref name="fromRevision"/>; false when that revision was compacted.</summary>
    public bool Register(FakeWatch watch, long fromRevision)
    {
        lock (_lock)
        {
            if (fromRevision < CompactedRevision)
            {
                return false;
            }

            foreach (var entry in _log)
            {
                if (entry.Revision > fromRevision && watch.Matches(entry.Resource, entry.Object))
                {
                    Send(watch, entry.Type, entry.Object);
                }
            }

            _watches.Add(watch);
            return true;
        }
    }

    public void Unregister(FakeWatch watch)
    {
        lock (_lock)
        {
            _watches.Remove(watch);
            watch.Lines.Writer.TryComplete();
        }
    }

    /// <summary>Sends every open watch a BOOKMARK at the current revision; returns that revision.</summary>
    public long SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watch in _watches)
            {
                var bookmark = new JsonObject
                {
                    ["kind"] = "Bookmark",
                    ["metadata"] = new JsonObject { ["resourceVersion"] = _revision.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                };
                Send(watch, "BOOKMARK", bookmark);
            }

            return _revision;
        }
    }

    private void Record(long revision, string resource, string type, JsonObject item)
    {
        _log.Add((revision, resource, type, item));
        foreach (var watch in _watches)
        {
            if (watch.Matches(resource, item))
            {
                Send(watch, type, item);
            }
        }
    }

    private void Send(FakeWatch watch, string type, JsonObject item)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString();
        if (watch.Lines.Writer.TryWrite(line) && type != "BOOKMARK")
        {
            _eventsSent[watch.Resource] = _eventsSent.GetValueOrDefault(watch.Resource) + 1;
        }
    }

    private SortedDictionary<string, JsonObject> Collection(string resource)
    {
        if (!_objects.TryGetValue(resource, out var collection))
        {
            collection = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _objects[resource] = collection;
        }

        return collection;
    }

    private static string Key(JsonObject item)
        => Key((string?)item["metadata"]?["namespace"], (string?)item["metadata"]?["name"] ?? throw new ArgumentException("object without metadata.name"));

    private static string Key(string? @namespace, string name) => string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";
}
