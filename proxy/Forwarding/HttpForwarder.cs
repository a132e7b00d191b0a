using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Gatehouse.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using static Gatehouse.Proxy.Forwarding.ForwarderLog;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// Forwards a request over a backend's shared HttpMessageInvoker, streaming both bodies, following
/// the rules of YARP's forwarder: hop-by-hop headers removed both ways, the target forwarded exactly
/// as received, bodies never buffered, 101 responses turned into a bidirectional tunnel.
/// </summary>
internal sealed partial class HttpForwarder : IHttpForwarder
{
    private const string XForwardedFor = "X-Forwarded-For";
    private const string XForwardedProto = "X-Forwarded-Proto";
    private const string XForwardedHost = "X-Forwarded-Host";
    private const string XForwardedPort = "X-Forwarded-Port";

    // Keep the raw path and query byte for byte: no unescaping, no dot-segment removal.
    private static readonly UriCreationOptions RawUriOptions = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly ForwarderOptions _options;
    private readonly ILogger _logger;

    public HttpForwarder(ForwarderOptions options, ILogger<HttpForwarder> logger)
    {
        _options = options;
        _logger = logger;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ForwarderError> SendAsync(HttpContext context, ForwardAttempt attempt)
    {
        var destinationPrefix = attempt.DestinationPrefix;
        var client = attempt.Client;
        var requestAborted = context.RequestAborted;
        var upgradeFeature = context.Features.Get<IHttpUpgradeFeature>();

        // Upgrades (WebSocket and friends) are an HTTP/1.1 mechanism on both legs.
        var isUpgrade = upgradeFeature is { IsUpgradableRequest: true } && client.RequestVersion == HttpVersion.Version11;

        // One source for both the client's abort and the upstream (activity) timeout.
        var timeouts = attempt.Timeouts;
        var activity = ActivityCancellation.Rent(requestAborted, timeouts.Read);

        var request = CreateRequestMessage(context, destinationPrefix, client, isUpgrade, activity, timeouts, out var content);
        client.Acquire();
        try
        {
            HttpResponseMessage response;
            try
            {
                response = await client.Invoker.SendAsync(request, activity.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return await HandleRequestFailureAsync(context, attempt, ex, content, requestAborted).ConfigureAwait(false);
            }

            using (response)
            {
                if (attempt.MayRetry
                    && (attempt.RetryOn & Policies.UpstreamPolicy.ConditionFor((int)response.StatusCode)) != 0
                    && content is not { Started: true })
                {
                    // proxy-next-upstream http_NNN: this answer is dropped unseen, another endpoint gets the request.
                    LogRetryableStatus(_logger, client.Name, attempt.Endpoint.UriPrefix, (int)response.StatusCode);
                    return ForwarderError.UpstreamStatus;
                }

                if (isUpgrade && response.StatusCode == HttpStatusCode.SwitchingProtocols)
                {
                    // A tunnel may sit idle for as long as its peers like; only the client's abort
                    // or either side closing ends it.
                    activity.Arm(Timeout.InfiniteTimeSpan);
                    return await TunnelAsync(context, upgradeFeature!, response, activity.Token).ConfigureAwait(false);
                }

                // From here the upstream timeout bounds the wait between body chunks (like nginx's
                // proxy_read_timeout), so a backend stalling mid-body cannot hold the client forever.
                activity.Arm(timeouts.Read);
                CopyResponseHeaders(context, response);
                return await CopyResponseBodyAsync(context, response, activity, timeouts.Read).ConfigureAwait(false);
            }
        }
        finally
        {
            client.Release();
            request.Dispose();

            // A streamed request body may still hold the source (HTTP/2 answered early): not reused then.
            activity.Return(reusable: content is null);
        }
    }

    private HttpRequestMessage CreateRequestMessage(
        HttpContext context,
        string destinationPrefix,
        BackendClient client,
        bool isUpgrade,
        ActivityCancellation activity,
        UpstreamTimeouts timeouts,
        out StreamCopyHttpContent? content)
    {
        var incoming = context.Request;

        // RawTarget is the request-target exactly as the client sent it; anything but origin-form
        // (absolute-form, "*") falls back to the re-encoded path and query.
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = rawTarget is { Length: > 0 } && rawTarget[0] == '/'
            ? rawTarget
            : incoming.PathBase.ToUriComponent() + incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent();

        var request = new HttpRequestMessage
        {
            Method = HttpMethod.Parse(incoming.Method),
            RequestUri = new Uri(destinationPrefix + target, in RawUriOptions),
            Version = isUpgrade ? HttpVersion.Version11 : client.RequestVersion,
            VersionPolicy = isUpgrade ? HttpVersionPolicy.RequestVersionExact : client.VersionPolicy,
        };

        // Only attach a body when the client sends one (Content-Length > 0, chunked, or an HTTP/2
        // stream still open); a content object would otherwise make the handler send "Content-Length: 0".
        content = null;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            content = new StreamCopyHttpContent(context, activity, timeouts.Send, timeouts.Read);
            request.Content = content;
        }

        if (timeouts.Connect != _options.ConnectTimeout)
        {
            // Only routes with their own proxy-connect-timeout pay for the options dictionary.
            request.Options.Set(BackendClient.ConnectTimeoutOption, timeouts.Connect);
        }

        var headers = incoming.Headers;
        var connection = headers.Connection;
        var checkConnectionTokens = connection.Count != 0 && HopByHopHeaders.ListsExtraHeaders(connection);
        foreach (var header in headers)
        {
            var name = header.Key;
            if (HopByHopHeaders.IsHopByHop(name))
            {
                // "TE: trailers" is the one TE value that is end to end (gRPC requires it).
                if (name.Length == 2 && IsTrailersOnly(header.Value))
                {
                    request.Headers.TryAddWithoutValidation("TE", "trailers");
                }

                continue;
            }

            if (checkConnectionTokens && HopByHopHeaders.IsListedInConnection(connection, name))
            {
                continue;
            }

            if (name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase) && IsForwardedHeader(name))
            {
                // Set below from this connection; X-Forwarded-For is appended to, not replaced.
                continue;
            }

            AddHeader(request, content, name, header.Value);
        }

        if (isUpgrade)
        {
            request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            AddHeader(request, null, "Upgrade", headers.Upgrade);
        }

        AddForwardedHeaders(context, request);
        return request;
    }

    private static void AddForwardedHeaders(HttpContext context, HttpRequestMessage request)
    {
        var incoming = context.Request;
        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null && remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        var clientIp = remote?.ToString();
        var existing = incoming.Headers[XForwardedFor];
        if (clientIp is not null)
        {
            var value = existing.Count == 0 ? clientIp : string.Join(", ", existing.ToArray()) + ", " + clientIp;
            request.Headers.TryAddWithoutValidation(XForwardedFor, value);
        }
        else if (existing.Count != 0)
        {
            AddHeader(request, null, XForwardedFor, existing);
        }

        request.Headers.TryAddWithoutValidation(XForwardedProto, incoming.Scheme);
        if (incoming.Host.HasValue)
        {
            request.Headers.TryAddWithoutValidation(XForwardedHost, incoming.Host.Value);
        }

        request.Headers.TryAddWithoutValidation(XForwardedPort, PortString(context.Connection.LocalPort));
    }

    private static bool IsForwardedHeader(string name) => ForwardedHeaders.IsForwardedHeader(name);

    private static bool IsTrailersOnly(StringValues values) => ForwardedHeaders.IsTrailersOnly(values);

    private static void AddHeader(HttpRequestMessage request, HttpContent? content, string name, StringValues value)
    {
        if (value.Count == 1)
        {
            var single = value[0] ?? "";
            if (!request.Headers.TryAddWithoutValidation(name, single))
            {
                // Content-* headers live on the content object; without a body they are dropped.
                content?.Headers.TryAddWithoutValidation(name, single);
            }
        }
        else if (value.Count > 1)
        {
            var values = value.ToArray();
            if (!request.Headers.TryAddWithoutValidation(name, values))
            {
                content?.Headers.TryAddWithoutValidation(name, values);
            }
        }
    }

    private static void CopyResponseHeaders(HttpContext context, HttpResponseMessage response)
    {
        var outgoing = context.Response;
        outgoing.StatusCode = (int)response.StatusCode;
        var target = outgoing.Headers;

        var connection = StringValues.Empty;
        if (response.Headers.NonValidated.TryGetValues("Connection", out var connectionValues))
        {
            connection = ToStringValues(connectionValues);
        }

        var checkConnectionTokens = connection.Count != 0 && HopByHopHeaders.ListsExtraHeaders(connection);
        CopyHeaders(response.Headers.NonValidated, target, connection, checkConnectionTokens, keepUpgrade: false);
        CopyHeaders(response.Content.Headers.NonValidated, target, connection, checkConnectionTokens, keepUpgrade: false);
    }

    private static void CopyHeaders(
        HttpHeadersNonValidated source,
        IHeaderDictionary target,
        StringValues connection,
        bool checkConnectionTokens,
        bool keepUpgrade)
    {
        foreach (var header in source)
        {
            var name = header.Key;
            if (HopByHopHeaders.IsHopByHop(name))
            {
                if (!(keepUpgrade && name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }
            }
            else if (checkConnectionTokens && HopByHopHeaders.IsListedInConnection(connection, name))
            {
                continue;
            }

            target[name] = ToStringValues(header.Value);
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            // HeaderStringValues.ToString() returns the stored string for a single value.
            return new StringValues(values.ToString());
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return new StringValues(array);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> CopyResponseBodyAsync(HttpContext context, HttpResponseMessage response, ActivityCancellation activity, TimeSpan readTimeout)
    {
        var cancellationToken = activity.Token;
        try
        {
            var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await StreamCopier.CopyAsync(source, context.Response.Body, cancellationToken, activity, readTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            // Status and part of the body may be out already; ending the response normally would
            // make a truncated body look complete, so the client connection is reset instead.
            if (!context.RequestAborted.IsCancellationRequested)
            {
                LogResponseBodyFailed(_logger, context.Request.Path.Value, ex.Message);
            }

            context.Abort();
            return ForwarderError.ResponseBody;
        }

        CopyTrailers(context, response);
        return ForwarderError.None;
    }

    private static void CopyTrailers(HttpContext context, HttpResponseMessage response)
    {
        var trailers = response.TrailingHeaders;
        if (!trailers.NonValidated.GetEnumerator().MoveNext())
        {
            return;
        }

        // Trailers need HTTP/2 (or 3) towards the client; on HTTP/1.1 Kestrel has no way to send them.
        var feature = context.Features.Get<IHttpResponseTrailersFeature>();
        if (feature?.Trailers is not { IsReadOnly: false } target)
        {
            return;
        }

        foreach (var header in trailers.NonValidated)
        {
            if (!HopByHopHeaders.IsHopByHop(header.Key))
            {
                target[header.Key] = ToStringValues(header.Value);
            }
        }
    }

    private async ValueTask<ForwarderError> TunnelAsync(
        HttpContext context,
        IHttpUpgradeFeature upgradeFeature,
        HttpResponseMessage response,
        CancellationToken cancellationToken)
    {
        // Kestrel writes the 101 itself (with Connection: Upgrade); the backend's Upgrade and
        // handshake headers (e.g. Sec-WebSocket-Accept) go along.
        context.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
        var connection = StringValues.Empty;
        CopyHeaders(response.Headers.NonValidated, context.Response.Headers, connection, checkConnectionTokens: false, keepUpgrade: true);

        // For a 101 SocketsHttpHandler hands over the raw, duplex connection as the content stream.
        var backendStream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (backendStream.ConfigureAwait(false))
        {
            var clientStream = await upgradeFeature.UpgradeAsync().ConfigureAwait(false);
            await using (clientStream.ConfigureAwait(false))
            {
                using var tunnel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var upstream = PumpAsync(clientStream, backendStream, tunnel.Token);
                var downstream = PumpAsync(backendStream, clientStream, tunnel.Token);

                // When either side closes, the tunnel is over: stop the other direction too.
                var first = await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
                await tunnel.CancelAsync().ConfigureAwait(false);
                var clean = await first.ConfigureAwait(false);
                var other = first == upstream ? downstream : upstream;
                await other.ConfigureAwait(false);
                return clean ? ForwarderError.None : ForwarderError.UpgradeTunnel;
            }
        }
    }

    /// <summary>Copies one direction of a tunnel; returns false when it ended with an error.</summary>
    private static async Task<bool> PumpAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await StreamCopier.CopyAsync(source, destination, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
        {
            return false;
        }
    }

    private async ValueTask<ForwarderError> HandleRequestFailureAsync(
        HttpContext context,
        ForwardAttempt attempt,
        Exception exception,
        StreamCopyHttpContent? content,
        CancellationToken requestAborted)
    {
        var client = attempt.Client;
        var destinationPrefix = attempt.Endpoint.UriPrefix;
        if (requestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            return ForwarderError.RequestCanceled;
        }

        if (content?.ClientException is not null)
        {
            LogClientBodyFailed(_logger, context.Request.Path.Value, content.ClientException.Message);
            await ErrorResponse.WriteAsync(context, StatusCodes.Status400BadRequest, "error reading the request body\n").ConfigureAwait(false);
            return ForwarderError.RequestBodyClient;
        }

        var (condition, reason) = Classify(exception);
        var timedOut = condition == NextUpstreamConditions.Timeout;

        // A retry is only honest while the client's body is untouched: a streamed body cannot be replayed.
        if (attempt.MayRetry && (attempt.RetryOn & condition) != 0 && content is not { Started: true })
        {
            LogRetryableFailure(_logger, client.Name, destinationPrefix, reason, exception.Message);
            return timedOut ? ForwarderError.RequestTimedOut : ForwarderError.Request;
        }

        if (timedOut)
        {
            // nginx answers 504 for an upstream that timed out connecting or answering.
            LogTimedOut(_logger, client.Name, destinationPrefix, reason);
            await ErrorResponse.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "upstream timed out: " + client.Name + "\n").ConfigureAwait(false);
            return ForwarderError.RequestTimedOut;
        }

        LogRequestFailed(_logger, client.Name, destinationPrefix, reason, exception.Message);
        await ErrorResponse.WriteAsync(context, StatusCodes.Status502BadGateway, "bad gateway: " + reason + " to " + client.Name + "\n").ConfigureAwait(false);
        return ForwarderError.Request;
    }

    /// <summary>Which proxy-next-upstream condition a failed send is, and a short reason for logs and the 502 body.</summary>
    private static (NextUpstreamConditions Condition, string Reason) Classify(Exception exception)
    {
        // Our activity source cancelled without the client aborting: the backend was too slow.
        if (exception is OperationCanceledException oce && oce.CancellationToken.IsCancellationRequested)
        {
            return (NextUpstreamConditions.Timeout, "read timed out");
        }

        if (exception is HttpRequestException hre)
        {
            if (hre.InnerException is TimeoutException)
            {
                return (NextUpstreamConditions.Timeout, "connect timed out");
            }

            return hre.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => (NextUpstreamConditions.Error, "connect failed"),
                HttpRequestError.SecureConnectionError => (NextUpstreamConditions.Error, "tls handshake failed"),
                HttpRequestError.ResponseEnded => (NextUpstreamConditions.Error, "connection closed before response"),
                HttpRequestError.InvalidResponse => (NextUpstreamConditions.InvalidHeader, "invalid response"),
                _ => (NextUpstreamConditions.Error, "request failed"),
            };
        }

        // SocketsHttpHandler's own connect timeout surfaces as a cancellation of a token that is not ours.
        return exception is OperationCanceledException
            ? (NextUpstreamConditions.Timeout, "connect timed out")
            : (NextUpstreamConditions.Error, "request failed");
    }

    private static string PortString(int port) => ForwardedHeaders.PortString(port);
}
