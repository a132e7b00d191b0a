using System.Collections;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// The stream is its own feature collection, as Kestrel's request objects are: the features the proxy
/// uses are this object, found by a type test the JIT folds; features set by the application go to a
/// small dictionary; anything else (TLS, the connection's own features) comes from the connection.
/// </summary>
internal sealed partial class Http2Stream :
    IFeatureCollection,
    IHttpRequestFeature,
    IHttpResponseFeature,
    IHttpResponseBodyFeature,
    IRequestBodyPipeFeature,
    IHttpRequestBodyDetectionFeature,
    IHttpRequestLifetimeFeature,
    IHttpResponseTrailersFeature,
    IHttpRequestIdentifierFeature,
    IHttpResetFeature,
    Telemetry.IRequestWireBytes
{
    private Dictionary<Type, object?>? _overrides;
    private Stream? _requestStream;
    private Stream? _responseStream;
    private string _pathBase = string.Empty;

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
            || typeof(TFeature) == typeof(IHttpResponseTrailersFeature)
            || typeof(TFeature) == typeof(IHttpRequestIdentifierFeature)
            || typeof(TFeature) == typeof(IHttpResetFeature)
            || typeof(TFeature) == typeof(Telemetry.IRequestWireBytes))
        {
            return (TFeature)(object)this;
        }

        if (typeof(TFeature) == typeof(IHttpConnectionFeature))
        {
            return (TFeature)(object)_connection;
        }

        return _connection.ConnectionFeatures.Get<TFeature>();
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
        yield return new(typeof(IHttpResponseTrailersFeature), this);
        yield return new(typeof(IHttpRequestIdentifierFeature), this);
        yield return new(typeof(IHttpResetFeature), this);
        yield return new(typeof(IHttpConnectionFeature), _connection);
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

        if (key == typeof(IHttpConnectionFeature))
        {
            return _connection;
        }

        if (key.IsInstanceOfType(this) && key != typeof(IFeatureCollection) && key != typeof(Hpack.IHpackHeaderSink))
        {
            return this;
        }

        return _connection.ConnectionFeatures[key];
    }

    // ---------------------------------------------------------------- wire bytes

    long Telemetry.IRequestWireBytes.RequestBytes => RequestWireBytes;

    /// <summary>The frames sent so far, and what the body writer still holds (the last flush comes after the handler).</summary>
    long Telemetry.IRequestWireBytes.ResponseBytes => ResponseWireBytes + _responseBody.UnflushedBytes;

    // ---------------------------------------------------------------- request

    string IHttpRequestFeature.Protocol
    {
        get => HttpProtocol.Http2;
        set { }
    }

    string IHttpRequestFeature.Scheme
    {
        get => _connection.Scheme;
        set { }
    }

    string IHttpRequestFeature.Method
    {
        get => _method ?? HttpMethods.Get;
        set => _method = value;
    }

    string IHttpRequestFeature.PathBase
    {
        get => _pathBase;
        set => _pathBase = value;
    }

    string IHttpRequestFeature.Path
    {
        get => _path;
        set => _path = value;
    }

    string IHttpRequestFeature.QueryString
    {
        get => _queryString;
        set => _queryString = value;
    }

    string IHttpRequestFeature.RawTarget
    {
        get => _rawTarget;
        set => _rawTarget = value;
    }

    IHeaderDictionary IHttpRequestFeature.Headers
    {
        get => _requestHeaders;
        set => throw new NotSupportedException("The request headers of an HTTP/2 stream cannot be replaced.");
    }

    Stream IHttpRequestFeature.Body
    {
        get => _requestStream ??= _requestBody.AsStream(leaveOpen: true);
        set => _requestStream = value;
    }

    PipeReader IRequestBodyPipeFeature.Reader => _requestBody;

    bool IHttpRequestBodyDetectionFeature.CanHaveBody => CanHaveBody;

    // ---------------------------------------------------------------- lifetime

    /// <summary>Cancelled when the client resets the stream or the connection ends.</summary>
    public CancellationToken RequestAborted
    {
        get
        {
            if (Volatile.Read(ref _abortSource) is { } existing)
            {
                return existing.Token;
            }

            // Published with a full fence before _reset is read, as Abort sets _reset with one before it
            // reads _abortSource: one of the two sides always sees the other.
            var created = new CancellationTokenSource();
            var source = Interlocked.CompareExchange(ref _abortSource, created, null) ?? created;
            if (_reset)
            {
                source.Cancel();
            }

            return source.Token;
        }

        set
        {
        }
    }

    void IHttpRequestLifetimeFeature.Abort() => Reset(Http2ErrorCode.InternalError);

    void IHttpResetFeature.Reset(int errorCode) => Reset((Http2ErrorCode)errorCode);

    string IHttpRequestIdentifierFeature.TraceIdentifier
    {
        get => _traceIdentifier ??= string.Concat(_connection.ConnectionId, ":", StreamId.ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        set => _traceIdentifier = value;
    }

    // ---------------------------------------------------------------- response

    int IHttpResponseFeature.StatusCode
    {
        get => _statusCode;
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
        set => _reasonPhrase = value;
    }

    IHeaderDictionary IHttpResponseFeature.Headers
    {
        get => _responseHeaders;
        set => throw new NotSupportedException("The response headers of an HTTP/2 stream cannot be replaced.");
    }

    [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
    Stream IHttpResponseFeature.Body
    {
        get => ResponseStream;
        set => throw new NotSupportedException("The response body stream of an HTTP/2 stream cannot be replaced.");
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

    IHeaderDictionary IHttpResponseTrailersFeature.Trailers
    {
        get => _responseTrailers ??= new HeaderDictionary();
        set => throw new NotSupportedException("The response trailers of an HTTP/2 stream cannot be replaced.");
    }

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

    async Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: true);
        file.Seek(offset, SeekOrigin.Begin);
        var remaining = count ?? (file.Length - offset);
        while (remaining > 0)
        {
            var memory = _responseBody.GetMemory((int)Math.Min(remaining, 16 * 1024));
            var read = await file.ReadAsync(memory[..(int)Math.Min(memory.Length, remaining)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            _responseBody.Advance(read);
            remaining -= read;
            await _responseBody.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    Task IHttpResponseBodyFeature.CompleteAsync()
    {
        if (_endStreamSent || _reset)
        {
            return Task.CompletedTask;
        }

        var flush = CompleteBodyAsync();
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    private async ValueTask CompleteBodyAsync()
    {
        await StartAsync().ConfigureAwait(false);
        await FlushResponseAsync(final: true).ConfigureAwait(false);
    }
}
