namespace Gatehouse.Model;

/// <summary>Cookie session affinity (affinity: cookie and the session-cookie-* annotations).</summary>
public sealed record AffinityConfig
{
    public AffinityMode Mode { get; init; } = AffinityMode.Balanced;

    public string CookieName { get; init; } = "INGRESSCOOKIE";

    /// <summary>session-cookie-path; null: the route's path.</summary>
    public string? CookiePath { get; init; }

    /// <summary>session-cookie-max-age in seconds; null: not sent.</summary>
    public long? MaxAgeSeconds { get; init; }

    /// <summary>session-cookie-expires in seconds from now; null: not sent.</summary>
    public long? ExpiresSeconds { get; init; }

    /// <summary>session-cookie-samesite: None, Lax or Strict; null: not sent.</summary>
    public string? SameSite { get; init; }

    public bool Secure { get; init; }

    public string? Domain { get; init; }

    /// <summary>affinity-canary-behavior.</summary>
    public AffinityCanaryBehavior CanaryBehavior { get; init; } = AffinityCanaryBehavior.Sticky;
}
