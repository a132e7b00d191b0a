namespace Gatehouse.Controller.Translation;

/// <summary>Validation and normalisation of Ingress rule hosts, following Kubernetes' own rules.</summary>
internal static class HostName
{
    /// <summary>
    /// Lower-cases <paramref name="raw"/> and checks it is a DNS-1123 subdomain, optionally prefixed with
    /// "*." (a wildcard covering exactly one label). Null or empty means "any host" and yields "".
    /// IP addresses are refused, as the API server does: Host headers carrying IPs belong to the catch-all.
    /// </summary>
    public static bool TryNormalize(string? raw, out string host, out string? error)
    {
        host = "";
        error = null;
        if (string.IsNullOrEmpty(raw))
        {
            return true;
        }

        var lower = raw.ToLowerInvariant();
        var name = lower.StartsWith("*.", StringComparison.Ordinal) ? lower[2..] : lower;
        if (name.Contains('*', StringComparison.Ordinal))
        {
            error = $"host '{raw}' is invalid: a wildcard is only allowed as the whole first label (\"*.example.com\")";
            return false;
        }

        if (name.Length is 0 or > 253)
        {
            error = $"host '{raw}' is invalid: must be 1 to 253 characters";
            return false;
        }

        var labels = name.Split('.');
        var allNumeric = true;
        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                error = $"host '{raw}' is invalid: each label must be 1 to 63 characters and not start or end with '-'";
                return false;
            }

            foreach (var c in label)
            {
                if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
                {
                    error = $"host '{raw}' is invalid: character '{c}' is not allowed (lower-case letters, digits, '-' and '.')";
                    return false;
                }
            }

            allNumeric &= label.All(char.IsAsciiDigit);
        }

        if (allNumeric)
        {
            error = $"host '{raw}' is invalid: must be a DNS name, not an IP address";
            return false;
        }

        host = lower;
        return true;
    }
}
