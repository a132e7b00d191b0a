using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>
/// A thin client for list, watch and single-object reads and writes over one pooled <see cref="HttpClient"/>. Watches are read line by
/// line straight off the response stream (never buffered whole), since a watch lives for minutes.
/// A 401 re-reads a file-based token once and retries, which is how a rotated token is picked up.
/// </summary>
public sealed class KubernetesApiClient : IKubernetesApi, IDisposable
{
    /// <summary>Bound on a list request; a watch is bounded by its timeoutSeconds plus this much slack instead.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    private readonly KubernetesClientConfiguration _configuration;
    private readonly HttpClient _http;
    private readonly TimeSpan _requestTimeout;

    public KubernetesApiClient(KubernetesClientConfiguration configuration, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
        _requestTimeout = requestTimeout ?? DefaultRequestTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.GZip,
            SslOptions = CreateSslOptions(configuration),
        };

        // Timeouts are per request (a watch must outlive any fixed HttpClient timeout).
        _http = new HttpClient(handler) { BaseAddress = configuration.Server, Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<KubernetesList<T>> ListAsync<T>(string path, ListRequest request, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(request);
        var query = new StringBuilder();
        AddQuery(query, "fieldSelector", request.FieldSelector);
        AddQuery(query, "labelSelector", request.LabelSelector);
        AddQuery(query, "limit", request.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddQuery(query, "continue", request.Continue);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        using var response = await SendAsync(HttpMethod.Get, path + query, null, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        var typeInfo = (JsonTypeInfo<KubernetesList<T>>)KubernetesJsonContext.Default.GetTypeInfo(typeof(KubernetesList<T>))!;
        var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync(stream, typeInfo, timeout.Token).ConfigureAwait(false)
                ?? throw new KubernetesApiException($"empty list response from {path}");
        }
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        string path,
        string resourceVersion,
        string? fieldSelector,
        string? labelSelector,
        bool allowWatchBookmarks,
        int? timeoutSeconds,
        Action? opened,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var query = new StringBuilder();
        AddQuery(query, "watch", "true");
        AddQuery(query, "fieldSelector", fieldSelector);
        AddQuery(query, "labelSelector", labelSelector);
        AddQuery(query, "resourceVersion", resourceVersion);
        AddQuery(query, "allowWatchBookmarks", allowWatchBookmarks ? "true" : null);
        AddQuery(query, "timeoutSeconds", timeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The server ends the watch after timeoutSeconds; our own bound only catches a server that does not.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeoutSeconds is { } seconds)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds) + _requestTimeout);
        }

        using var response = await SendAsync(HttpMethod.Get, path + query, null, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        opened?.Invoke();
        var objectInfo = (JsonTypeInfo<T>)KubernetesJsonContext.Default.GetTypeInfo(typeof(T))!;
        var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                var raw = JsonSerializer.Deserialize(line, KubernetesJsonContext.Default.RawWatchEvent);
                if (raw?.Type is not { } type)
                {
                    throw new JsonException($"watch event without a type from {path}");
                }

                yield return type == WatchEventType.Error
                    ? new WatchEvent<T> { Type = type, Status = raw.Object.Deserialize(KubernetesJsonContext.Default.Status) }
                    : new WatchEvent<T> { Type = type, Object = raw.Object.Deserialize(objectInfo) };
            }
        }
    }

    public async Task<T?> GetAsync<T>(string path, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        try
        {
            return await SendObjectAsync<T>(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesApiException ex) when (ex.IsNotFound)
        {
            return null;
        }
    }

    public Task<T> CreateAsync<T>(string collectionPath, T item, CancellationToken cancellationToken)
        where T : KubernetesObject
        => SendObjectAsync<T>(HttpMethod.Post, collectionPath, Serialize(item, JsonContentType), cancellationToken);

    public Task<T> ReplaceAsync<T>(string path, T item, CancellationToken cancellationToken)
        where T : KubernetesObject
        => SendObjectAsync<T>(HttpMethod.Put, path, Serialize(item, JsonContentType), cancellationToken);

    public Task<T> PatchAsync<T>(string path, JsonObject patch, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        ArgumentNullException.ThrowIfNull(patch);
        return SendObjectAsync<T>(HttpMethod.Patch, path, Serialize(patch, MergePatchContentType), cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    private const string JsonContentType = "application/json";
    private const string MergePatchContentType = "application/merge-patch+json";

    /// <summary>A body is serialized once; each attempt (a 401 retry) gets its own content over the same bytes.</summary>
    private static (byte[] Bytes, string ContentType) Serialize<TBody>(TBody body, string contentType)
    {
        var typeInfo = (JsonTypeInfo<TBody>)KubernetesJsonContext.Default.GetTypeInfo(typeof(TBody))!;
        return (JsonSerializer.SerializeToUtf8Bytes(body, typeInfo), contentType);
    }

    private async Task<T> SendObjectAsync<T>(HttpMethod method, string path, (byte[] Bytes, string ContentType)? body, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        using var response = await SendAsync(method, path, body, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        var typeInfo = (JsonTypeInfo<T>)KubernetesJsonContext.Default.GetTypeInfo(typeof(T))!;
        var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync(stream, typeInfo, timeout.Token).ConfigureAwait(false)
                ?? throw new KubernetesApiException($"empty response from {method} {path}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string pathAndQuery, (byte[] Bytes, string ContentType)? body, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, pathAndQuery);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (body is var (bytes, contentType))
            {
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            }

            if (_configuration.Token is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.GetToken());
            }

            var response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                // A rotated token file: the cached token went stale before the refresh interval. Retry once with the new one.
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && _configuration.Token?.Invalidate() == true)
                {
                    continue;
                }

                throw await CreateErrorAsync(response, method, pathAndQuery, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<KubernetesApiException> CreateErrorAsync(HttpResponseMessage response, HttpMethod method, string pathAndQuery, CancellationToken cancellationToken)
    {
        Models.Status? status = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            status = JsonSerializer.Deserialize(body, KubernetesJsonContext.Default.Status);
        }
        catch (JsonException)
        {
            // Not a Status body (a proxy in between, say); the HTTP status code alone still tells the caller enough.
        }

        return new KubernetesApiException(
            response.StatusCode,
            status,
            $"{method} {pathAndQuery} failed: {(int)response.StatusCode} {status?.Reason ?? response.ReasonPhrase}: {status?.Message}");
    }

    private static SslClientAuthenticationOptions CreateSslOptions(KubernetesClientConfiguration configuration)
    {
        var options = new SslClientAuthenticationOptions();
        if (configuration.ClientCertificate is { } certificate)
        {
            options.ClientCertificates = [certificate];
        }

        if (configuration.InsecureSkipTlsVerify)
        {
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (configuration.CertificateAuthority is { Count: > 0 } authority)
        {
            // Trust exactly the kubeconfig's CA (cluster CAs are private, never in the system store).
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(authority);
        }

        return options;
    }

    private static void AddQuery(StringBuilder query, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
