using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Forwarding.Http1;

/// <summary>
/// Writes the request line and headers straight from Kestrel's request into the backend's pipe, with
/// the same rules as <see cref="HttpForwarder"/>: raw target kept byte for byte, hop-by-hop headers
/// removed, X-Forwarded-* set from this connection.
/// </summary>
internal static class RequestHeadWriter
{
    /// <param name="chunked">The body goes to the backend chunked (its length is unknown): any Content-Length is dropped.</param>
    public static void Write(HttpContext context, PipeWriter writer, string fallbackHost, bool chunked)
    {
        var incoming = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = rawTarget is { Length: > 0 } && rawTarget[0] == '/'
            ? rawTarget
            : incoming.PathBase.ToUriComponent() + incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent();

        WriteLatin1(writer, incoming.Method);
        WriteBytes(writer, " "u8);
        WriteLatin1(writer, target);
        WriteBytes(writer, " HTTP/1.1\r\n"u8);

        var headers = incoming.Headers;
        var connection = headers.Connection;
        var checkConnectionTokens = connection.Count != 0 && HopByHopHeaders.ListsExtraHeaders(connection);
        var sawHost = false;
        foreach (var header in headers)
        {
            var name = header.Key;
            if (HopByHopHeaders.IsHopByHop(name))
            {
                if (name.Length == 2 && ForwardedHeaders.IsTrailersOnly(header.Value))
                {
                    WriteBytes(writer, "TE: trailers\r\n"u8);
                }

                continue;
            }

            if ((checkConnectionTokens && HopByHopHeaders.IsListedInConnection(connection, name))
                || ForwardedHeaders.IsForwardedHeader(name)
                || (chunked && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            sawHost |= name.Equals("Host", StringComparison.OrdinalIgnoreCase);
            WriteHeader(writer, name, header.Value);
        }

        if (!sawHost)
        {
            WriteHeader(writer, "Host", fallbackHost);
        }

        if (chunked)
        {
            WriteBytes(writer, "Transfer-Encoding: chunked\r\n"u8);
        }

        var clientAddress = ForwardedHeaders.ClientAddress(context);
        var existingFor = headers[ForwardedHeaders.XForwardedFor];
        if (clientAddress is not null)
        {
            WriteHeader(writer, ForwardedHeaders.XForwardedFor, ForwardedHeaders.ForValue(existingFor, clientAddress));
        }
        else if (existingFor.Count != 0)
        {
            WriteHeader(writer, ForwardedHeaders.XForwardedFor, existingFor);
        }

        WriteHeader(writer, ForwardedHeaders.XForwardedProto, incoming.Scheme);
        if (incoming.Host.HasValue)
        {
            WriteHeader(writer, ForwardedHeaders.XForwardedHost, incoming.Host.Value);
        }

        WritePort(writer, context.Connection.LocalPort);
        WriteBytes(writer, "\r\n"u8);
    }

    /// <summary>X-Forwarded-Port, its digits formatted straight into the pipe (no string per request).</summary>
    private static void WritePort(PipeWriter writer, int port)
    {
        WriteLatin1(writer, ForwardedHeaders.XForwardedPort);
        WriteBytes(writer, ": "u8);
        var span = writer.GetSpan(16);
        port.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        writer.Advance(written);
        WriteBytes(writer, "\r\n"u8);
    }

    private static void WriteHeader(PipeWriter writer, string name, StringValues values)
    {
        if (values.Count == 0)
        {
            return;
        }

        WriteLatin1(writer, name);
        WriteBytes(writer, ": "u8);

        // HTTP/1.1 wants one field line per name for lists; cookies are joined the way browsers do.
        var separator = name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; "u8 : ", "u8;
        for (var i = 0; i < values.Count; i++)
        {
            if (i != 0)
            {
                WriteBytes(writer, separator);
            }

            WriteLatin1(writer, values[i] ?? "");
        }

        WriteBytes(writer, "\r\n"u8);
    }

    private static void WriteLatin1(PipeWriter writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        var written = Encoding.Latin1.GetBytes(text, span);
        writer.Advance(written);
    }

    private static void WriteBytes(PipeWriter writer, ReadOnlySpan<byte> bytes) => writer.Write(bytes);
}
