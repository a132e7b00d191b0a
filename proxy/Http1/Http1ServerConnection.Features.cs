using System.Collections;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// The connection is its request's feature collection, as Kestrel's is: the features the proxy uses are
/// this object, found by a type test the JIT folds; features set by the application go to a small
/// dictionary; anything else (the byte counter, the transport's own) comes from the connection.
/// </summary>
internal sealed partial class Http1ServerConnection :
    IFeatureCollection,
    IHttpRequestFeature,
    IHttpResponseFeature,
    IHttpResponseBodyFeature,
    IRequestBodyPipeFeature,
    IHttpRequestBodyDetectionFeature,
    IHttpRequestLifetimeFeature,
    IHttpRequestIdentifierFeature,
    IHttpUpgradeFeature
{
    private Dictionary<Type, object?>? _overrides;
    private Stream? _requestStream;
    private Stream? _responseStream;
    private string _pathBase = string.Empty;
    private int _featureRevision;

    // ---------------------------------------------------------------- IFeatureCollection

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _featureRevision;

    object? IFeatureCollection.this[Type key]
    {
        get => GetFeature(key);
        set
        {
            (_overrides ??= [])[key] = value;
            _featureRevision++;
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>()
        where TFeature : default
    {
        if (_overrides is { Count: > 0 } && _overrides.TryGetValue(typeof(TFeature), out var set))
        {
            return (TFeature?)set;
        }

        if (typeof(TFeature) == typeof(IHttpRequestFeature)
            || typeof(TFeature) == typeof(IHttpResponseFeature)
            || typeof(TFeature) == typeof(IHttpResponseBodyFeature)
            || typeof(TFeature) == typeof(IRequestBodyPipeFeature)
            || typeof(TFeature) == typeof(IHttpRequestBodyDetectionFeature)
            || typeof(TFeature) == typeof(IHttpRequestLifetimeFeature)
            || typeof(TFeature) == typeof(IHttpRequestIdentifierFeature)
            || typeof(TFeature) == typeof(IHttpUpgradeFeature)
            || typeof(TFeature) == typeof(IHttpConnectionFeature))
        {
            return (TFeature)(object)this;
        }

        return _context.Features.Get<TFeature>();
    }

    void IFeatureCollection.Set<TFeature>(TFeature? instance)
        where TFeature : default
    {
        (_overrides ??= [])[typeof(TFeature)] = instance;
        _featureRevision++;
    }

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        yield return new(typeof(IHttpRequestFeature), this);
        yield return new(typeof(IHttpResponseFeature), this);
        yield return new(typeof(IHttpResponseBodyFeature), this);
        yield return new(typeof(IRequestBodyPipeFeature), this);
        yield return new(typeof(IHttpRequestBodyDetectionFeature), this);
        yield return new(typeof(IHttpRequestLifetimeFeature), this);
        yield return new(typeof(IHttpRequestIdentifierFeature), this);
        yield return new(typeof(IHttpUpgradeFeature), this);
        yield return new(typeof(IHttpConnectionFeature), this);
        if (_overrides is not null)
        {
            foreach (var (type, feature) in _overrides)
            {
                if (feature is not null)
                {
                    yield return new(type, feature);
                }
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private object? GetFeature(Type key)
    {
        if (_overrides is { Count: > 0 } && _overrides.TryGetValue(key, out var set))
        {
            return set;
        }

        if (key.IsInstanceOfType(this) && key != typeof(IFeatureCollection))
        {
            return this;
        }

        return _context.Features[key];
    }

    // ---------------------------------------------------------------- request

    string IHttpRequestFeature.Protocol
    {
        get => _head.IsHttp11 ? HttpProtocol.Http11 : HttpProtocol.Http10;
        set { }
    }

    string IHttpRequestFeature.Scheme
    {
        get => Scheme;
        set { }
    }

    string IHttpRequestFeature.Method
    {
        get => _head.Method;
        set => _head.Method = value;
    }

    string IHttpRequestFeature.PathBase
    {
        get => _pathBase;
        set => _pathBase = value;
    }

    string IHttpRequestFeature.Path
    {
        get => _head.Path;
        set => _head.Path = value;
    }

    string IHttpRequestFeature.QueryString
    {
        get => _head.QueryString;
        set => _head.QueryString = value;
    }

    string IHttpRequestFeature.RawTarget
    {
        get => _head.RawTarget;
        set => _head.RawTarget = value;
    }

    IHeaderDictionary IHttpRequestFeature.Headers
    {
        get => _head.Headers;
        set => throw new NotSupportedException("The request headers of an HTTP/1.1 request cannot be replaced.");
    }

    Stream IHttpRequestFeature.Body
    {
        get => _requestStream ??= _requestBody.AsStream(leaveOpen: true);
        set => _requestStream = value;
    }

    PipeReader IRequestBodyPipeFeature.Reader => _requestBody;

    bool IHttpRequestBodyDetectionFeature.CanHaveBody => _head.BodyKind != Http1BodyKind.None;

    // ---------------------------------------------------------------- lifetime

    /// <summary>Cancelled when the client's side of the connection ends (FIN, reset) or the connection is aborted.</summary>
    CancellationToken IHttpRequestLifetimeFeature.RequestAborted
    {
        get => _context.ConnectionClosed;
        set
        {
        }
    }

    void IHttpRequestLifetimeFeature.Abort()
    {
        _keepAlive = false;
        Abort("The application aborted the request.");
    }

    string IHttpRequestIdentifierFeature.TraceIdentifier
    {
        // Kestrel's shape: the connection id and the request's number on it.
        get => _traceIdentifier ??= string.Concat(ConnectionId, ":", _requestCount.ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        set => _traceIdentifier = value;
    }

    // ---------------------------------------------------------------- upgrade

    bool IHttpUpgradeFeature.IsUpgradableRequest => _head.IsUpgrade;

    async Task<Stream> IHttpUpgradeFeature.UpgradeAsync()
    {
        if (!_head.IsUpgrade)
        {
            throw new InvalidOperationException("The request cannot be upgraded: it has no Connection: upgrade and Upgrade fields.");
        }

        if (_started)
        {
            throw new InvalidOperationException("The response has already started.");
        }

        _statusCode = StatusCodes.Status101SwitchingProtocols;
        _keepAlive = true;
        _responseHeaders[Microsoft.Net.Http.Headers.HeaderNames.Connection] = "Upgrade";
        await StartAsync().ConfigureAwait(false);
        _upgraded = true;
        await FlushOutputAsync().ConfigureAwait(false);

        // From here the connection's bytes are the application's, both ways.
        return new Http1UpgradedStream(_input, _output);
    }

    // ---------------------------------------------------------------- response

    int IHttpResponseFeature.StatusCode
    {
        get => _statusCode == 0 ? StatusCodes.Status200OK : _statusCode;
        set
        {
            if (_started)
            {
                throw new InvalidOperationException("StatusCode cannot be set because the response has already started.");
            }

            _statusCode = value;
        }
    }

    string? IHttpResponseFeature.ReasonPhrase
    {
        get => _reasonPhrase;
        set
        {
            if (_started)
            {
                throw new InvalidOperationException("ReasonPhrase cannot be set because the response has already started.");
            }

            _reasonPhrase = value;
        }
    }

    IHeaderDictionary IHttpResponseFeature.Headers
    {
        get => _responseHeaders;
        set => throw new NotSupportedException("The response headers of an HTTP/1.1 request cannot be replaced.");
    }

    [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
    Stream IHttpResponseFeature.Body
    {
        get => ResponseStream;
        set => throw new NotSupportedException("The response body stream of an HTTP/1.1 request cannot be replaced.");
    }

    bool IHttpResponseFeature.HasStarted => _started;

    void IHttpResponseFeature.OnStarting(Func<object, Task> callback, object state)
    {
        if (_started)
        {
            throw new InvalidOperationException("OnStarting cannot be set because the response has already started.");
        }

        (_onStarting ??= []).Add((callback, state));
    }

    void IHttpResponseFeature.OnCompleted(Func<object, Task> callback, object state) => (_onCompleted ??= []).Add((callback, state));

    Stream IHttpResponseBodyFeature.Stream => ResponseStream;

    PipeWriter IHttpResponseBodyFeature.Writer => _responseBody;

    private Stream ResponseStream => _responseStream ??= _responseBody.AsStream(leaveOpen: true);

    void IHttpResponseBodyFeature.DisableBuffering()
    {
        // Every flush is sent at once already.
    }

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken)
    {
        var start = StartAsync();
        return start.IsCompletedSuccessfully ? Task.CompletedTask : start.AsTask();
    }

    Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
        => SendFileFallback.SendFileAsync(ResponseStream, path, offset, count, cancellationToken);

    async Task IHttpResponseBodyFeature.CompleteAsync()
    {
        await StartAsync().ConfigureAwait(false);
        if (_responseBody.TryEnd(out _))
        {
            await FlushOutputAsync().ConfigureAwait(false);
        }
    }
}
