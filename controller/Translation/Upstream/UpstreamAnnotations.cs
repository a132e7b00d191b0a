namespace Gatehouse.Controller.Translation.Upstream;

/// <summary>Load balancing, affinity, timeout and retry annotation names (read under --annotations-prefix).</summary>
internal static class UpstreamAnnotations
{
    public const string LoadBalance = "load-balance";
    public const string UpstreamHashBy = "upstream-hash-by";
    public const string Affinity = "affinity";
    public const string AffinityMode = "affinity-mode";
    public const string AffinityCanaryBehavior = "affinity-canary-behavior";
    public const string SessionCookieName = "session-cookie-name";
    public const string SessionCookiePath = "session-cookie-path";
    public const string SessionCookieMaxAge = "session-cookie-max-age";
    public const string SessionCookieExpires = "session-cookie-expires";
    public const string SessionCookieSameSite = "session-cookie-samesite";
    public const string SessionCookieSecure = "session-cookie-secure";
    public const string SessionCookieDomain = "session-cookie-domain";
    public const string ProxyConnectTimeout = "proxy-connect-timeout";
    public const string ProxySendTimeout = "proxy-send-timeout";
    public const string ProxyReadTimeout = "proxy-read-timeout";
    public const string ProxyNextUpstream = "proxy-next-upstream";
    public const string ProxyNextUpstreamTries = "proxy-next-upstream-tries";
    public const string ProxyNextUpstreamTimeout = "proxy-next-upstream-timeout";
}
