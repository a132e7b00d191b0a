using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Gatehouse.Model;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>
/// The backend behind the HTTP/2 tests' proxy. It records every request it receives and answers by path:
/// <c>/headers</c> (the request's header lines), <c>/id/X</c> (X), <c>/bytes/N</c> (N bytes of
/// <see cref="Pattern"/>), <c>/upload</c> (the body's length and SHA-256), <c>/slow</c> (waits for
/// <see cref="ReleaseSlow"/> or the request's abort), anything else "ok".
/// </summary>
internal sealed class Http2TestBackend : IAsyncDisposable
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _slowStarted = new(0);
    private TestBackend _backend = null!;
    private int _count;

    private Http2TestBackend()
    {
    }

    public EndpointConfig Endpoint => _backend.Endpoint;

    /// <summary>Requests received, as the backend saw them.</summary>
    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    /// <summary>Requests received so far (any path).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Completes when a <c>/slow</c> request has seen its RequestAborted token fire.</summary>
    public Task SlowRequestAborted => _aborted.Task;

    public static async Task<Http2TestBackend> StartAsync(HttpProtocols protocols = HttpProtocols.Http1)
    {
        var backend = new Http2TestBackend();
        backend._backend = await TestBackend.StartAsync(backend.HandleAsync, protocols);
        return backend;
    }

    /// <summary>Byte <paramref name="i"/> of every generated body: not periodic in any power of two, so shifted or dropped chunks show.</summary>
    public static byte Pattern(long i) => (byte)(i * 7 % 251);

    public static byte[] PatternBytes(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = Pattern(i);
        }

        return bytes;
    }

    public static string UploadAnswer(ReadOnlySpan<byte> body) => $"{body.Length} {Convert.ToHexStringLower(SHA256.HashData(body))}";

    /// <summary>Lets every waiting (and future) <c>/slow</c> request answer 200 "released".</summary>
    public void ReleaseSlow() => _release.TrySetResult();

    /// <summary>Waits until <paramref name="count"/> more <c>/slow</c> requests have reached the backend.</summary>
    public async Task WaitForSlowRequestsAsync(int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            if (!await _slowStarted.WaitAsync(RawHttp2Connection.Patience))
            {
                throw new Xunit.Sdk.XunitException($"only {i} of {count} /slow requests reached the backend");
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        Interlocked.Increment(ref _count);
        Received.Enqueue(new ReceivedRequest(
            request.Method,
            request.Path.Value + request.QueryString.Value,
            request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.Ordinal)));

        var path = request.Path.Value ?? "";
        if (path == "/headers")
        {
            var lines = request.Headers.SelectMany(h => h.Value.Select(v => $"{h.Key.ToLowerInvariant()}: {v}\n"));
            await context.Response.WriteAsync(string.Concat(lines));
        }
        else if (path.StartsWith("/id/", StringComparison.Ordinal))
        {
            await context.Response.WriteAsync(path["/id/".Length..]);
        }
        else if (path.StartsWith("/bytes/", StringComparison.Ordinal))
        {
            var length = int.Parse(path["/bytes/".Length..], CultureInfo.InvariantCulture);
            context.Response.ContentLength = length;
            if (!HttpMethods.IsHead(request.Method))
            {
                await context.Response.Body.WriteAsync(PatternBytes(length));
            }
        }
        else if (path == "/upload")
        {
            var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            await context.Response.WriteAsync(UploadAnswer(body.ToArray()));
        }
        else if (path.StartsWith("/slow", StringComparison.Ordinal))
        {
            _slowStarted.Release();
            try
            {
                await _release.Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                _aborted.TrySetResult();
                return;
            }

            await context.Response.WriteAsync("released");
        }
        else
        {
            await context.Response.WriteAsync("ok");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _backend.DisposeAsync();
        _slowStarted.Dispose();
    }
}

/// <summary>One request as the backend received it; header names lowercased, values as separate fields.</summary>
internal sealed record ReceivedRequest(string Method, string Target, IReadOnlyDictionary<string, string[]> Headers);
