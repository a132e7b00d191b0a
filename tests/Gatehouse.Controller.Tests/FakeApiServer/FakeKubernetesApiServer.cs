using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.FakeApiServer;

/// <summary>
/// A Kubernetes API server on Kestrel (127.0.0.1, ephemeral port) speaking the real wire protocol for
/// GET list and watch: /api/v1/[namespaces/NS/]PLURAL and /apis/GROUP/VERSION/[namespaces/NS/]PLURAL,
/// with limit/continue paging over a consistent snapshot, field and label selectors, chunked
/// newline-delimited watch streams replayed from a resourceVersion, bookmarks on demand, 410 Gone
/// after compaction, cut connections and bearer-token auth; GET of one object, POST (409 when it
/// exists), PUT with resourceVersion preconditions (409 Conflict when stale) and JSON merge PATCH, on
/// objects and their /status subresource (which changes only the status). Every request is recorded
/// so tests can assert what a client wrote. Objects are plain JSON so the fake does not depend on the
/// controller's models.
/// </summary>
internal sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (long Revision, List<JsonObject> Items)> _pagedLists = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Resource, string ResourceVersion)> _watchRequests = new();
    private readonly ConcurrentDictionary<string, int> _listRequests = new(StringComparer.Ordinal);
    private readonly Lock _waitersLock = new();
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private string? _token;
    private bool _goneAsHttpStatus;
    private bool _refuseWatches;
    private bool _expireAllWatches;

    private readonly ConcurrentQueue<FakeRequest> _requests = new();

    private FakeKubernetesApiServer(WebApplication app, FakeResourceStore store)
    {
        _app = app;
        Store = store;
    }

    public FakeResourceStore Store { get; }

    /// <summary>Every request handled, in arrival order (watches when they start).</summary>
    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    /// <summary>The requests that changed something (POST, PUT, PATCH, DELETE).</summary>
    public IReadOnlyList<FakeRequest> Writes => [.. _requests.Where(r => !HttpMethods.IsGet(r.Method))];

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>When set, requests without "Authorization: Bearer {Token}" get 401.</summary>
    public string? Token { get => Volatile.Read(ref _token); set => Volatile.Write(ref _token, value); }

    /// <summary>Answer a compacted watch with HTTP 410 instead of the usual 200 + ERROR event.</summary>
    public bool GoneAsHttpStatus { get => Volatile.Read(ref _goneAsHttpStatus); set => Volatile.Write(ref _goneAsHttpStatus, value); }

    /// <summary>While set, every watch is answered with 410 Gone, whatever its resourceVersion.</summary>
    public bool ExpireAllWatches { get => Volatile.Read(ref _expireAllWatches); set => Volatile.Write(ref _expireAllWatches, value); }

    /// <summary>While set, watch requests get 503 (the client cannot see changes made meanwhile).</summary>
    public bool RefuseWatches { get => Volatile.Read(ref _refuseWatches); set => Volatile.Write(ref _refuseWatches, value); }

    /// <summary>List requests for these resources get 503 until removed.</summary>
    public ConcurrentDictionary<string, bool> RefusedLists { get; } = new(StringComparer.Ordinal);

    /// <summary>(resource, resourceVersion) of every watch request, in arrival order.</summary>
    public IReadOnlyList<(string Resource, string ResourceVersion)> WatchRequests => [.. _watchRequests];

    public int ListRequests(string resource) => _listRequests.GetValueOrDefault(resource);

    /// <summary>Subject of the client certificate of the last TLS request that presented one.</summary>
    public string? LastClientCertificateSubject { get; private set; }

    /// <param name="serverCertificate">Serve HTTPS with this certificate (plain HTTP when null).</param>
    /// <param name="clientCertificateAuthority">Require client certificates issued by this CA (HTTPS only).</param>
    /// <param name="port">Listen on this port (0: any free one); with <paramref name="store"/>, restarts a stopped server where it was.</param>
    /// <param name="store">Serve this store (a new empty one when null).</param>
    public static async Task<FakeKubernetesApiServer> StartAsync(
        X509Certificate2? serverCertificate = null, X509Certificate2? clientCertificateAuthority = null, int port = 0, FakeResourceStore? store = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // Stopping is a crash, not a drain: every connection, idle keep-alive ones included, is cut at
        // once. A draining server would leave a client's pooled connection open but unserved.
        Microsoft.Extensions.DependencyInjection.OptionsServiceCollectionExtensions.Configure<Microsoft.Extensions.Hosting.HostOptions>(builder.Services, o => o.ShutdownTimeout = TimeSpan.Zero);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (serverCertificate is null)
            {
                return;
            }

            listen.UseHttps(https =>
            {
                https.ServerCertificate = serverCertificate;
                if (clientCertificateAuthority is not null)
                {
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.ClientCertificateValidation = (certificate, _, _) => IsSignedBy(certificate, clientCertificateAuthority);
                }
            });
        }));
        var app = builder.Build();
        var server = new FakeKubernetesApiServer(app, store ?? new FakeResourceStore());
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.BaseAddress = new Uri(app.Urls.Single());
        return server;
    }

    /// <summary>Aborts every open watch connection mid-stream (the client sees a broken response, not a clean end).</summary>
    public int CutWatches()
    {
        var watches = Store.OpenWatches;
        foreach (var watch in watches)
        {
            // Unregister first so no event is queued to a stream that is already cut.
            Store.Unregister(watch);
            watch.Abort();
        }

        return watches.Count;
    }

    /// <summary>Completes when <paramref name="condition"/> holds, re-checked after every request the server handles.</summary>
    public Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersLock)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, done));
        }

        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        CutWatches();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private void Poke()
    {
        lock (_waitersLock)
        {
            _waiters.RemoveAll(waiter =>
            {
                if (!waiter.Condition())
                {
                    return false;
                }

                waiter.Done.TrySetResult();
                return true;
            });
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            await ServeAsync(context).ConfigureAwait(false);
        }
        finally
        {
            Poke();
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.Connection.ClientCertificate is { } clientCertificate)
        {
            LastClientCertificateSubject = clientCertificate.Subject;
        }

        if (Token is { } token && !string.Equals(request.Headers.Authorization.ToString(), $"Bearer {token}", StringComparison.Ordinal))
        {
            await WriteStatusAsync(context, HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized").ConfigureAwait(false);
            return;
        }

        var body = "";
        if (!HttpMethods.IsGet(request.Method))
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        _requests.Enqueue(new FakeRequest(
            request.Method, request.Path.Value ?? "", string.Equals(request.Query["watch"], "true", StringComparison.Ordinal),
            request.Headers.Authorization.ToString(), request.ContentType, body));

        if (ParsePath(request.Path.Value ?? "") is not var (resource, @namespace, name, subresource)
            || (name is null && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsPost(request.Method)))
        {
            await WriteStatusAsync(context, HttpStatusCode.NotFound, "NotFound", $"no route for {request.Method} {request.Path}").ConfigureAwait(false);
            return;
        }

        if (name is not null || HttpMethods.IsPost(request.Method))
        {
            await ServeObjectAsync(context, resource, @namespace, name, subresource, body).ConfigureAwait(false);
            return;
        }

        FakeSelectors selectors;
        try
        {
            selectors = new FakeSelectors(request.Query["fieldSelector"], request.Query["labelSelector"]);
        }
        catch (FormatException ex)
        {
            await WriteStatusAsync(context, HttpStatusCode.BadRequest, "BadRequest", ex.Message).ConfigureAwait(false);
            return;
        }

        if (string.Equals(request.Query["watch"], "true", StringComparison.Ordinal))
        {
            await WatchAsync(context, resource, @namespace, selectors).ConfigureAwait(false);
        }
        else
        {
            await ListAsync(context, resource, @namespace, selectors).ConfigureAwait(false);
        }
    }

    private async Task ServeObjectAsync(HttpContext context, string resource, string? @namespace, string? name, string? subresource, string body)
    {
        var method = context.Request.Method;
        JsonObject? sent = null;
        if (!HttpMethods.IsGet(method))
        {
            try
            {
                sent = JsonNode.Parse(body) as JsonObject ?? throw new System.Text.Json.JsonException("not an object");
            }
            catch (System.Text.Json.JsonException ex)
            {
                await WriteStatusAsync(context, HttpStatusCode.BadRequest, "BadRequest", $"invalid body: {ex.Message}").ConfigureAwait(false);
                return;
            }
        }

        (HttpStatusCode Code, JsonObject? Item) result;
        if (HttpMethods.IsGet(method))
        {
            var item = Store.Get(resource, @namespace, name!);
            result = (item is null ? HttpStatusCode.NotFound : HttpStatusCode.OK, item);
        }
        else if (HttpMethods.IsPost(method) && name is null)
        {
            sent!["metadata"] ??= new JsonObject();
            if (@namespace is not null)
            {
                sent["metadata"]!["namespace"] = @namespace;
            }

            result = (string?)sent["metadata"]?["name"] is { Length: > 0 } ? Store.Create(resource, sent) : (HttpStatusCode.UnprocessableEntity, null);
        }
        else if (HttpMethods.IsPut(method))
        {
            var expected = (string?)sent!["metadata"]?["resourceVersion"];
            result = Store.Update(resource, @namespace, name!, expected, existing =>
            {
                if (subresource != "status")
                {
                    // The main resource ignores status changes, the status subresource everything else.
                    sent["status"] = existing["status"]?.DeepClone();
                    return sent;
                }

                existing["status"] = sent["status"]?.DeepClone();
                return existing;
            });
        }
        else if (HttpMethods.IsPatch(method) && string.Equals(context.Request.ContentType, "application/merge-patch+json", StringComparison.Ordinal))
        {
            var expected = (string?)sent!["metadata"]?["resourceVersion"];
            result = Store.Update(resource, @namespace, name!, expected, existing =>
            {
                var patch = subresource == "status" ? new JsonObject { ["status"] = sent["status"]?.DeepClone() } : sent;
                if (subresource != "status")
                {
                    patch.Remove("status");
                }

                return (JsonObject)MergePatch(existing, patch)!;
            });
        }
        else
        {
            await WriteStatusAsync(context, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", $"{method} {context.Request.ContentType} not supported by the fake").ConfigureAwait(false);
            return;
        }

        if (result.Item is null)
        {
            await WriteStatusAsync(context, result.Code, result.Code.ToString(), $"{method} {resource} {@namespace}/{name}: {result.Code}").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = (int)result.Code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(result.Item.ToJsonString()).ConfigureAwait(false);
    }

    /// <summary>RFC 7386: objects merge key by key, null removes a key, anything else replaces.</summary>
    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = MergePatch(result[key], value);
            }
        }

        return result;
    }

    private async Task ListAsync(HttpContext context, string resource, string? @namespace, FakeSelectors selectors)
    {
        _listRequests.AddOrUpdate(resource, 1, (_, count) => count + 1);
        if (RefusedLists.ContainsKey(resource))
        {
            await WriteStatusAsync(context, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "list refused by the test").ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        long revision;
        List<JsonObject> items;
        var offset = 0;
        if (query["continue"].ToString() is { Length: > 0 } continueToken)
        {
            // Pages of one list all come from the snapshot its first page was cut from, as with etcd.
            var separator = continueToken.LastIndexOf(':');
            if (separator < 0 || !_pagedLists.TryGetValue(continueToken[..separator], out var paged)
                || !int.TryParse(continueToken[(separator + 1)..], CultureInfo.InvariantCulture, out offset))
            {
                await WriteStatusAsync(context, HttpStatusCode.Gone, "Expired", "the continue token is unknown or expired").ConfigureAwait(false);
                return;
            }

            (revision, items) = paged;
        }
        else
        {
            (revision, items) = Store.List(resource, @namespace, selectors);
        }

        var limit = int.TryParse(query["limit"], CultureInfo.InvariantCulture, out var parsedLimit) && parsedLimit > 0 ? parsedLimit : int.MaxValue;
        var page = items.Skip(offset).Take(limit).ToList();
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (offset + page.Count < items.Count)
        {
            var id = Guid.NewGuid().ToString("N");
            _pagedLists[id] = (revision, items);
            metadata["continue"] = $"{id}:{offset + page.Count}";
            metadata["remainingItemCount"] = items.Count - offset - page.Count;
        }

        var list = new JsonObject
        {
            ["kind"] = "List",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. page]),
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(list.ToJsonString()).ConfigureAwait(false);
    }

    private async Task WatchAsync(HttpContext context, string resource, string? @namespace, FakeSelectors selectors)
    {
        var resourceVersion = context.Request.Query["resourceVersion"].ToString();
        _watchRequests.Enqueue((resource, resourceVersion));
        if (RefuseWatches)
        {
            await WriteStatusAsync(context, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "watch refused by the test").ConfigureAwait(false);
            return;
        }

        var from = long.TryParse(resourceVersion, CultureInfo.InvariantCulture, out var parsed) ? parsed : Store.Revision;
        var watch = new FakeWatch(resource, @namespace, selectors, context);
        if (ExpireAllWatches || !Store.Register(watch, from))
        {
            var message = $"too old resource version: {from} ({Store.CompactedRevision})";
            if (GoneAsHttpStatus)
            {
                await WriteStatusAsync(context, HttpStatusCode.Gone, "Expired", message).ConfigureAwait(false);
                return;
            }

            context.Response.ContentType = "application/json";
            var error = new JsonObject { ["type"] = "ERROR", ["object"] = Status(HttpStatusCode.Gone, "Expired", message) };
            await context.Response.WriteAsync(error.ToJsonString() + "\n").ConfigureAwait(false);
            return;
        }

        Poke();
        try
        {
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);

            // Headers go out at once, as the real server flushes them: a client knows the watch is open before any event.
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            if (int.TryParse(context.Request.Query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            await foreach (var line in watch.Lines.Reader.ReadAllAsync(timeout.Token).ConfigureAwait(false))
            {
                await context.Response.WriteAsync(line + "\n", Encoding.UTF8, timeout.Token).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Timed out (a clean end of the stream) or aborted by the client or by CutWatches.
        }
        finally
        {
            Store.Unregister(watch);
            watch.End();
        }
    }

    private static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        return chain.Build(certificate);
    }

    /// <summary>
    /// ("/apis/networking.k8s.io/v1/ingresses", "web", null, null) for "/apis/networking.k8s.io/v1/namespaces/web/ingresses",
    /// with the object's name and subresource for ".../ingresses/NAME[/status]".
    /// </summary>
    private static (string Resource, string? Namespace, string? Name, string? Subresource)? ParsePath(string path)
    {
        var parts = path.Trim('/').Split('/');
        var prefixLength = parts.Length > 0 && parts[0] == "api" ? 2 : parts.Length > 0 && parts[0] == "apis" ? 3 : -1;
        if (prefixLength < 0 || parts.Length < prefixLength + 1)
        {
            return null;
        }

        var prefix = "/" + string.Join('/', parts[..prefixLength]);
        var rest = parts[prefixLength..];
        return rest switch
        {
            [var plural] => ($"{prefix}/{plural}", null, null, null),
            [var plural, var name] when plural != "namespaces" => ($"{prefix}/{plural}", null, Uri.UnescapeDataString(name), null),
            ["namespaces", var ns, var plural] => ($"{prefix}/{plural}", Uri.UnescapeDataString(ns), null, null),
            ["namespaces", var ns, var plural, var name] => ($"{prefix}/{plural}", Uri.UnescapeDataString(ns), Uri.UnescapeDataString(name), null),
            ["namespaces", var ns, var plural, var name, var sub] => ($"{prefix}/{plural}", Uri.UnescapeDataString(ns), Uri.UnescapeDataString(name), sub),
            _ => null,
        };
    }

    private static JsonObject Status(HttpStatusCode code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = (int)code,
    };

    private static async Task WriteStatusAsync(HttpContext context, HttpStatusCode code, string reason, string message)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Status(code, reason, message).ToJsonString()).ConfigureAwait(false);
    }
}
