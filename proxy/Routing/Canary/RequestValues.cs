using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>
/// Finds one cookie or query parameter in the raw request without building Kestrel's cookie and
/// query collections, which would allocate on every request for a single lookup.
/// </summary>
internal static class RequestValues
{
    /// <summary>The value of cookie <paramref name="name"/> across all Cookie headers, or false when absent.</summary>
    public static bool TryGetCookie(StringValues cookieHeaders, string name, out ReadOnlySpan<char> value)
    {
        for (var h = 0; h < cookieHeaders.Count; h++)
        {
            var remaining = cookieHeaders[h].AsSpan();
            while (!remaining.IsEmpty)
            {
                var semicolon = remaining.IndexOf(';');
                var pair = semicolon < 0 ? remaining : remaining[..semicolon];
                remaining = semicolon < 0 ? [] : remaining[(semicolon + 1)..];
                pair = pair.Trim(' ');
                var eq = pair.IndexOf('=');
                if (eq > 0 && pair[..eq].Trim(' ').SequenceEqual(name))
                {
                    value = pair[(eq + 1)..].Trim(' ');
                    if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                    {
                        value = value[1..^1];
                    }

                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// The raw (still URL-encoded) value of the first query parameter <paramref name="name"/> in
    /// <paramref name="queryString"/> ("?a=1&amp;b=2" or ""), or false when absent.
    /// </summary>
    public static bool TryGetQuery(string? queryString, string name, out ReadOnlySpan<char> value)
    {
        var remaining = queryString.AsSpan();
        if (!remaining.IsEmpty && remaining[0] == '?')
        {
            remaining = remaining[1..];
        }

        while (!remaining.IsEmpty)
        {
            var amp = remaining.IndexOf('&');
            var pair = amp < 0 ? remaining : remaining[..amp];
            remaining = amp < 0 ? [] : remaining[(amp + 1)..];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (key.SequenceEqual(name))
            {
                value = eq < 0 ? [] : pair[(eq + 1)..];
                return true;
            }
        }

        value = default;
        return false;
    }
}
