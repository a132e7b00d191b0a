using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Routing.Canary;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// upstream-hash-by compiled once per route table generation: literal text and the nginx variables
/// $request_uri, $host, $remote_addr, $http_NAME, $arg_NAME, $cookie_NAME, hashed piece by piece
/// straight from the request so computing a key allocates nothing.
/// </summary>
internal sealed class HashKey
{
    private readonly Part[] _parts;

    private HashKey(Part[] parts, string template)
    {
        _parts = parts;
        Template = template;
    }

    public string Template { get; }

    /// <summary>Null when the template names an unknown variable (the controller rejects those already).</summary>
    public static HashKey? TryCompile(string? template)
    {
        if (string.IsNullOrEmpty(template))
        {
            return null;
        }

        var parts = new List<Part>();
        var i = 0;
        while (i < template.Length)
        {
            var dollar = template.IndexOf('$', i);
            if (dollar != i)
            {
                var end = dollar < 0 ? template.Length : dollar;
                parts.Add(new Part(PartKind.Literal, template[i..end]));
                i = end;
                continue;
            }

            var start = ++i;
            var braced = i < template.Length && template[i] == '{';
            if (braced)
            {
                start = ++i;
            }

            while (i < template.Length && (char.IsAsciiLetterOrDigit(template[i]) || template[i] == '_'))
            {
                i++;
            }

            var name = template[start..i];
            if (braced)
            {
                if (i >= template.Length || template[i] != '}')
                {
                    return null;
                }

                i++;
            }

            Part? part = name switch
            {
                "request_uri" => new Part(PartKind.RequestUri, ""),
                "host" => new Part(PartKind.Host, ""),
                "remote_addr" => new Part(PartKind.RemoteAddress, ""),
                _ when name.StartsWith("http_", StringComparison.Ordinal) && name.Length > 5 => new Part(PartKind.Header, name[5..].Replace('_', '-')),
                _ when name.StartsWith("arg_", StringComparison.Ordinal) && name.Length > 4 => new Part(PartKind.Query, name[4..]),
                _ when name.StartsWith("cookie_", StringComparison.Ordinal) && name.Length > 7 => new Part(PartKind.Cookie, name[7..]),
                _ => null,
            };
            if (part is null)
            {
                return null;
            }

            parts.Add(part);
        }

        return new HashKey([.. parts], template);
    }

    public ulong Compute(HttpContext context)
    {
        var request = context.Request;
        var hash = StableHash.Start();
        Span<char> address = stackalloc char[64];
        foreach (var part in _parts)
        {
            switch (part.Kind)
            {
                case PartKind.Literal:
                    hash = StableHash.Add(hash, part.Value);
                    break;
                case PartKind.RequestUri:
                    var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
                    hash = raw is { Length: > 0 }
                        ? StableHash.Add(hash, raw)
                        : StableHash.Add(StableHash.Add(hash, request.Path.Value), request.QueryString.Value);
                    break;
                case PartKind.Host:
                    foreach (var c in RouteTable.StripPort(request.Host.Value))
                    {
                        hash = StableHash.Add(hash, char.ToLowerInvariant(c));
                    }

                    break;
                case PartKind.RemoteAddress:
                    if (context.Connection.RemoteIpAddress is { } ip && ip.TryFormat(address, out var written))
                    {
                        hash = StableHash.Add(hash, address[..written]);
                    }

                    break;
                case PartKind.Header:
                    var values = request.Headers[part.Value];
                    if (values.Count != 0)
                    {
                        hash = StableHash.Add(hash, values[0]);
                    }

                    break;
                case PartKind.Query:
                    if (RequestValues.TryGetQuery(request.QueryString.Value, part.Value, out var arg))
                    {
                        hash = StableHash.Add(hash, arg);
                    }

                    break;
                case PartKind.Cookie:
                    if (RequestValues.TryGetCookie(request.Headers.Cookie, part.Value, out var cookie))
                    {
                        hash = StableHash.Add(hash, cookie);
                    }

                    break;
            }
        }

        return StableHash.Finish(hash);
    }

    private enum PartKind : byte
    {
        Literal,
        RequestUri,
        Host,
        RemoteAddress,
        Header,
        Query,
        Cookie,
    }

    private sealed record Part(PartKind Kind, string Value);
}
