using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// Headers that describe one connection rather than the message (RFC 9110 §7.6.1) and therefore must
/// not be forwarded, plus helpers for the names a Connection header lists.
/// </summary>
internal static class HopByHopHeaders
{
    /// <summary>True for the fixed hop-by-hop names and HTTP/2 pseudo-headers. TE and Upgrade are
    /// included; callers re-add "TE: trailers" and upgrade headers where they are legitimate.</summary>
    public static bool IsHopByHop(string name)
    {
        if (name.Length == 0 || name[0] == ':')
        {
            return true;
        }

        // Switch on length first so the common end-to-end headers are rejected with one compare.
        return name.Length switch
        {
            2 => name.Equals("TE", StringComparison.OrdinalIgnoreCase),
            7 => name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase),
            10 => name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase),
            16 => name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase),
            17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
            18 => name.Equals("Proxy-Authenticate", StringComparison.OrdinalIgnoreCase),
            19 => name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }

    /// <summary>True when <paramref name="name"/> is one of the comma-separated tokens of the Connection header.</summary>
    public static bool IsListedInConnection(StringValues connection, string name)
    {
        for (var i = 0; i < connection.Count; i++)
        {
            var remaining = connection[i].AsSpan();
            while (!remaining.IsEmpty)
            {
                var comma = remaining.IndexOf(',');
                var token = (comma < 0 ? remaining : remaining[..comma]).Trim();
                if (token.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }

                remaining = comma < 0 ? default : remaining[(comma + 1)..];
            }
        }

        return false;
    }

    /// <summary>True when a Connection header names anything besides keep-alive/close/upgrade,
    /// i.e. when per-header <see cref="IsListedInConnection"/> checks are needed at all.</summary>
    public static bool ListsExtraHeaders(StringValues connection)
    {
        for (var i = 0; i < connection.Count; i++)
        {
            var remaining = connection[i].AsSpan();
            while (!remaining.IsEmpty)
            {
                var comma = remaining.IndexOf(',');
                var token = (comma < 0 ? remaining : remaining[..comma]).Trim();
                if (!token.IsEmpty
                    && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    && !token.Equals("close", StringComparison.OrdinalIgnoreCase)
                    && !token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }

                remaining = comma < 0 ? default : remaining[(comma + 1)..];
            }
        }

        return false;
    }
}
