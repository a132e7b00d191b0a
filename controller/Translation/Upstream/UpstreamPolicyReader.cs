using System.Globalization;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation.Upstream;

/// <summary>
/// Reads an Ingress's load-balance, upstream-hash-by, affinity, timeout and retry annotations. An
/// unparsable annotation is reported and left at its default; the Ingress itself keeps serving, as
/// ingress-nginx does for these annotations.
/// </summary>
internal static class UpstreamPolicyReader
{
    /// <summary>Returns null when none of the annotations is present (the proxy's defaults apply).</summary>
    /// <param name="balancingOnly">For canary Ingresses: only load-balance, upstream-hash-by and affinity are honoured.</param>
    public static UpstreamPolicyConfig? Read(AnnotationReader annotations, bool balancingOnly, List<string> problems)
    {
        var policy = new UpstreamPolicyConfig();
        var present = false;

        if (annotations.TryGetString(UpstreamAnnotations.LoadBalance, out var loadBalance))
        {
            present = true;
            switch (loadBalance.ToLowerInvariant())
            {
                case "round_robin": break;
                case "ewma": policy = policy with { LoadBalance = LoadBalancingPolicy.Ewma }; break;
                default: problems.Add($"{annotations.FullName(UpstreamAnnotations.LoadBalance)}: '{loadBalance}' is not round_robin or ewma; using round_robin"); break;
            }
        }

        if (annotations.TryGetString(UpstreamAnnotations.UpstreamHashBy, out var hashBy) && hashBy.Length != 0)
        {
            present = true;
            if (HashKeyTemplate.Validate(hashBy) is { } error)
            {
                problems.Add($"{annotations.FullName(UpstreamAnnotations.UpstreamHashBy)}: {error}; ignored");
            }
            else
            {
                policy = policy with { HashBy = hashBy };
            }
        }

        if (ReadAffinity(annotations, problems) is { } affinity)
        {
            present = true;
            policy = policy with { Affinity = affinity };
        }

        if (balancingOnly)
        {
            return present ? policy : null;
        }

        present |= ReadTimeout(annotations, UpstreamAnnotations.ProxyConnectTimeout, problems, out var connect);
        present |= ReadTimeout(annotations, UpstreamAnnotations.ProxySendTimeout, problems, out var send);
        present |= ReadTimeout(annotations, UpstreamAnnotations.ProxyReadTimeout, problems, out var read);
        present |= ReadTimeout(annotations, UpstreamAnnotations.ProxyNextUpstreamTimeout, problems, out var nextTimeout);
        policy = policy with { ConnectTimeoutMs = connect, SendTimeoutMs = send, ReadTimeoutMs = read, NextUpstreamTimeoutMs = nextTimeout };

        if (annotations.TryGetString(UpstreamAnnotations.ProxyNextUpstream, out var nextUpstream))
        {
            present = true;
            if (TryParseConditions(nextUpstream, out var conditions, out var bad))
            {
                policy = policy with { NextUpstream = conditions };
            }
            else
            {
                problems.Add($"{annotations.FullName(UpstreamAnnotations.ProxyNextUpstream)}: '{bad}' is not one of error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off; using 'error timeout'");
            }
        }

        if (annotations.TryGetString(UpstreamAnnotations.ProxyNextUpstreamTries, out var triesText))
        {
            present = true;
            if (int.TryParse(triesText, NumberStyles.None, CultureInfo.InvariantCulture, out var tries))
            {
                policy = policy with { NextUpstreamTries = tries };
            }
            else
            {
                problems.Add($"{annotations.FullName(UpstreamAnnotations.ProxyNextUpstreamTries)}: '{triesText}' is not a non-negative integer; using 3");
            }
        }

        return present ? policy : null;
    }

    private static AffinityConfig? ReadAffinity(AnnotationReader annotations, List<string> problems)
    {
        if (!annotations.TryGetString(UpstreamAnnotations.Affinity, out var affinity) || affinity.Length == 0)
        {
            return null;
        }

        if (!affinity.Equals("cookie", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{annotations.FullName(UpstreamAnnotations.Affinity)}: '{affinity}' is not cookie; affinity ignored");
            return null;
        }

        var config = new AffinityConfig();
        if (annotations.TryGetString(UpstreamAnnotations.AffinityMode, out var mode))
        {
            switch (mode.ToLowerInvariant())
            {
                case "balanced": break;
                case "persistent": config = config with { Mode = AffinityMode.Persistent }; break;
                default: problems.Add($"{annotations.FullName(UpstreamAnnotations.AffinityMode)}: '{mode}' is not balanced or persistent; using balanced"); break;
            }
        }

        if (annotations.TryGetString(UpstreamAnnotations.AffinityCanaryBehavior, out var behavior))
        {
            switch (behavior.ToLowerInvariant())
            {
                case "sticky": break;
                case "legacy": config = config with { CanaryBehavior = AffinityCanaryBehavior.Legacy }; break;
                default: problems.Add($"{annotations.FullName(UpstreamAnnotations.AffinityCanaryBehavior)}: '{behavior}' is not sticky or legacy; using sticky"); break;
            }
        }

        if (annotations.TryGetString(UpstreamAnnotations.SessionCookieName, out var name) && name.Length != 0)
        {
            if (IsToken(name))
            {
                config = config with { CookieName = name };
            }
            else
            {
                problems.Add($"{annotations.FullName(UpstreamAnnotations.SessionCookieName)}: '{name}' is not a valid cookie name; using INGRESSCOOKIE");
            }
        }

        if (annotations.TryGetString(UpstreamAnnotations.SessionCookiePath, out var path) && path.Length != 0)
        {
            config = config with { CookiePath = path };
        }

        if (annotations.TryGetString(UpstreamAnnotations.SessionCookieDomain, out var domain) && domain.Length != 0)
        {
            config = config with { Domain = domain };
        }

        if (ReadSeconds(annotations, UpstreamAnnotations.SessionCookieMaxAge, problems) is { } maxAge)
        {
            config = config with { MaxAgeSeconds = maxAge };
        }

        if (ReadSeconds(annotations, UpstreamAnnotations.SessionCookieExpires, problems) is { } expires)
        {
            config = config with { ExpiresSeconds = expires };
        }

        if (annotations.TryGetString(UpstreamAnnotations.SessionCookieSameSite, out var sameSite))
        {
            switch (sameSite.ToLowerInvariant())
            {
                case "none": config = config with { SameSite = "None" }; break;
                case "lax": config = config with { SameSite = "Lax" }; break;
                case "strict": config = config with { SameSite = "Strict" }; break;
                default: problems.Add($"{annotations.FullName(UpstreamAnnotations.SessionCookieSameSite)}: '{sameSite}' is not None, Lax or Strict; not sent"); break;
            }
        }

        try
        {
            if (annotations.GetBoolean(UpstreamAnnotations.SessionCookieSecure) is { } secure)
            {
                config = config with { Secure = secure };
            }
        }
        catch (FormatException ex)
        {
            problems.Add(ex.Message + "; using false");
        }

        return config;
    }

    private static long? ReadSeconds(AnnotationReader annotations, string name, List<string> problems)
    {
        if (!annotations.TryGetString(name, out var text))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds;
        }

        problems.Add($"{annotations.FullName(name)}: '{text}' is not a number of seconds; not sent");
        return null;
    }

    /// <summary>nginx time syntax as ingress-nginx passes it: plain seconds, or a number with ms, s or m.</summary>
    private static bool ReadTimeout(AnnotationReader annotations, string name, List<string> problems, out int milliseconds)
    {
        milliseconds = 0;
        if (!annotations.TryGetString(name, out var text))
        {
            return false;
        }

        if (TryParseDuration(text, out milliseconds))
        {
            return true;
        }

        problems.Add($"{annotations.FullName(name)}: '{text}' is not a duration (seconds, or a number with ms, s or m); using the default");
        return true;
    }

    internal static bool TryParseDuration(string text, out int milliseconds)
    {
        milliseconds = 0;
        var (number, scale) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 1L)
            : text.EndsWith('s') ? (text[..^1], 1000L)
            : text.EndsWith('m') ? (text[..^1], 60_000L)
            : (text, 1000L);
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value * scale > int.MaxValue)
        {
            return false;
        }

        milliseconds = (int)(value * scale);
        return true;
    }

    private static bool TryParseConditions(string text, out NextUpstreamConditions conditions, out string bad)
    {
        conditions = NextUpstreamConditions.None;
        bad = "";
        foreach (var token in text.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            NextUpstreamConditions flag;
            switch (token.ToLowerInvariant())
            {
                case "off": flag = NextUpstreamConditions.None; break;
                case "error": flag = NextUpstreamConditions.Error; break;
                case "timeout": flag = NextUpstreamConditions.Timeout; break;
                case "invalid_header": flag = NextUpstreamConditions.InvalidHeader; break;
                case "http_500": flag = NextUpstreamConditions.Http500; break;
                case "http_502": flag = NextUpstreamConditions.Http502; break;
                case "http_503": flag = NextUpstreamConditions.Http503; break;
                case "http_504": flag = NextUpstreamConditions.Http504; break;
                case "http_403": flag = NextUpstreamConditions.Http403; break;
                case "http_404": flag = NextUpstreamConditions.Http404; break;
                case "http_429": flag = NextUpstreamConditions.Http429; break;
                case "non_idempotent": flag = NextUpstreamConditions.NonIdempotent; break;
                default:
                    bad = token;
                    return false;
            }

            conditions |= flag;
        }

        return true;
    }

    internal static bool IsToken(string value)
    {
        foreach (var c in value)
        {
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return value.Length != 0;
    }
}
