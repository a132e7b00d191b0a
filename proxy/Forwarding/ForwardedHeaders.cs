using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// The request-header rules both forwarders share: which client headers are replaced by the proxy's
/// own X-Forwarded-* values, which TE value survives, and what those values are for a connection.
/// </summary>
internal static class ForwardedHeaders
{
    public const string XForwardedFor = "X-Forwarded-For";
    public const string XForwardedProto = "X-Forwarded-Proto";
    public const string XForwardedHost = "X-Forwarded-Host";
    public const string XForwardedPort = "X-Forwarded-Port";

    /// <summary>True for the X-Forwarded-* names the proxy sets itself (For is appended to, the rest replaced).</summary>
    public static bool IsForwardedHeader(string name)
        => name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
            && (name.Equals(XForwardedFor, StringComparison.OrdinalIgnoreCase)
                || name.Equals(XForwardedProto, StringComparison.OrdinalIgnoreCase)
                || name.Equals(XForwardedHost, StringComparison.OrdinalIgnoreCase)
                || name.Equals(XForwardedPort, StringComparison.OrdinalIgnoreCase));

    /// <summary>"TE: trailers" is the one TE value that is end to end (gRPC requires it).</summary>
    public static bool IsTrailersOnly(StringValues values)
        => values.Count == 1 && values[0].AsSpan().Trim().Equals("trailers", StringComparison.OrdinalIgnoreCase);

    /// <summary>The client's address as X-Forwarded-For names it (IPv4-mapped addresses unmapped); null when unknown.</summary>
    public static string? ClientAddress(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null && remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return remote?.ToString();
    }

    /// <summary>X-Forwarded-For with this hop appended to whatever the client sent.</summary>
    public static string ForValue(StringValues existing, string clientAddress)
        => existing.Count == 0 ? clientAddress : string.Join(", ", existing.ToArray()) + ", " + clientAddress;

    public static string PortString(int port) => port switch
    {
        80 => "80",
        443 => "443",
        8080 => "8080",
        8443 => "8443",
        _ => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
