using System.Globalization;
using System.Text;
using Gatehouse.Model;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Routing.Canary;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// Cookie session affinity (affinity: cookie), compiled once per route. The cookie value names the
/// backend (8 hex digits of a stable hash of its name) and then either the endpoint itself
/// (persistent: 16 hex digits of a stable hash of its address) or a random session key placed on the
/// backend's consistent-hash ring (balanced: when endpoints are added, about 1/n of the sessions move
/// to them). Values are stable across route table generations and proxy restarts, reveal no address,
/// and a request carrying a valid one allocates nothing.
/// </summary>
internal sealed class SessionAffinity
{
    private readonly string _attributes;
    private readonly long? _expiresSeconds;

    public SessionAffinity(AffinityConfig config, string routePath)
    {
        Config = config;
        CookieName = config.CookieName;
        var attributes = new StringBuilder();

        // ingress-nginx defaults the path to the location's; a regex path cannot be a cookie path.
        var path = config.CookiePath ?? (routePath.Length > 0 && routePath[0] == '/' ? routePath : "/");
        attributes.Append("; Path=").Append(path);
        if (config.MaxAgeSeconds is { } maxAge)
        {
            attributes.Append("; Max-Age=").Append(maxAge.ToString(CultureInfo.InvariantCulture));
        }

        if (config.Domain is { Length: > 0 } domain)
        {
            attributes.Append("; Domain=").Append(domain);
        }

        if (config.SameSite is { Length: > 0 } sameSite)
        {
            attributes.Append("; SameSite=").Append(sameSite);
        }

        if (config.Secure)
        {
            attributes.Append("; Secure");
        }

        // The cookie only steers the proxy; scripts have no business reading it.
        attributes.Append("; HttpOnly");
        _attributes = attributes.ToString();
        _expiresSeconds = config.ExpiresSeconds;
    }

    public static SessionAffinity? For(AffinityConfig? config, string routePath) => config is null ? null : new SessionAffinity(config, routePath);

    public AffinityConfig Config { get; }

    public string CookieName { get; }

    public bool IsPersistent => Config.Mode == AffinityMode.Persistent;

    /// <summary>affinity-canary-behavior: sticky lets a client pinned to a canary endpoint stay on the canary.</summary>
    public bool CanaryInherits => Config.CanaryBehavior == AffinityCanaryBehavior.Sticky;

    public bool TryGetCookie(HttpRequest request, out ReadOnlySpan<char> value)
        => RequestValues.TryGetCookie(request.Headers.Cookie, CookieName, out value);

    /// <summary>
    /// The endpoint of <paramref name="backend"/> that <paramref name="cookie"/> pins, or null when the
    /// cookie belongs to another backend, is malformed, or names an endpoint that is gone or ejected.
    /// </summary>
    public BackendEndpoint? Resolve(ReadOnlySpan<char> cookie, Backend backend)
    {
        var tag = backend.AffinityTag;
        if (cookie.Length != tag.Length + 1 + 16 || !cookie.StartsWith(tag, StringComparison.Ordinal) || cookie[tag.Length] != '.')
        {
            return null;
        }

        var key = cookie[(tag.Length + 1)..];
        if (!IsPersistent)
        {
            return backend.EndpointCount == 0 ? null : backend.EndpointForHash(SessionHash(key));
        }

        var endpoints = backend.EndpointsArray;
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var endpoint in endpoints)
        {
            if (key.SequenceEqual(endpoint.AffinityKey))
            {
                return endpoint.State.IsAvailable(now) ? endpoint : null;
            }
        }

        return null;
    }

    /// <summary>
    /// Pins a new session to an endpoint of <paramref name="backend"/>: persistent takes
    /// <paramref name="picked"/> (the balancer's choice), balanced draws a session key and lets the
    /// ring decide. The Set-Cookie is added when the response starts, after the backend's own headers.
    /// </summary>
    public BackendEndpoint? Pin(HttpContext context, Backend backend, BackendEndpoint? picked)
    {
        if (backend.EndpointCount == 0)
        {
            return picked;
        }

        string value;
        BackendEndpoint? endpoint;
        if (IsPersistent)
        {
            endpoint = picked;
            if (endpoint is null)
            {
                return null;
            }

            value = backend.AffinityTag + "." + endpoint.AffinityKey;
        }
        else
        {
            var session = ((ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 63)).ToString("x16", CultureInfo.InvariantCulture);
            endpoint = backend.EndpointForHash(SessionHash(session));
            value = backend.AffinityTag + "." + session;
        }

        var setCookie = CookieName + "=" + value + _attributes + Expires();
        context.Response.OnStarting(static state =>
        {
            var (response, header) = ((HttpResponse, string))state;
            response.Headers.Append("Set-Cookie", header);
            return Task.CompletedTask;
        }, (context.Response, setCookie));
        return endpoint;
    }

    private string Expires()
        => _expiresSeconds is { } seconds
            ? "; Expires=" + DateTimeOffset.UtcNow.AddSeconds(seconds).ToString("R", CultureInfo.InvariantCulture)
            : "";

    private static ulong SessionHash(ReadOnlySpan<char> key) => StableHash.Finish(StableHash.Add(StableHash.Start(), key));

    /// <summary>The 16 hex digits an endpoint is known by in persistent cookies.</summary>
    public static string EndpointKey(string address)
        => StableHash.Finish(StableHash.Add(StableHash.Start(), address)).ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>The 8 hex digits a backend is known by in every affinity cookie.</summary>
    public static string BackendTag(string backendName)
        => ((uint)StableHash.Finish(StableHash.Add(StableHash.Start(), backendName))).ToString("x8", CultureInfo.InvariantCulture);
}
