using System.Net;
using System.Security.Cryptography;
using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// The request-time half of TLS: HTTP → HTTPS redirects (ssl-redirect, force-ssl-redirect) and the
/// client certificate verdict (auth-tls-verify-client, auth-tls-error-page,
/// auth-tls-pass-certificate-to-upstream). Called once per request after routing; returns null to let
/// the request through, or the response it wrote. Allocation-free when nothing applies.
/// </summary>
internal static class TlsRequestPolicy
{
    /// <summary>ingress-nginx's header for auth-tls-pass-certificate-to-upstream.</summary>
    public const string ClientCertificateHeader = "ssl-client-cert";

    private const string ClientCertificateRequired = "400 Bad Request: no required SSL certificate was sent\n";
    private const string ClientCertificateInvalid = "400 Bad Request: the SSL certificate error\n";

    public static Task? Apply(HttpContext context, Gatehouse.Proxy.Routing.Route route, Gatehouse.Proxy.Routing.RouteTable table, int httpsRedirectPort)
    {
        var request = context.Request;
        if (!request.IsHttps)
        {
            return route.Config is { } config && NeedsRedirect(config, table.Tls, request.Host.Value)
                ? Redirect(context, httpsRedirectPort)
                : null;
        }

        // A client removing its own header must not be able to smuggle one in: always strip it.
        request.Headers.Remove(ClientCertificateHeader);
        var state = context.Features.Get<TlsConnectionState>();
        if (state is null)
        {
            // The handshake could not read the ClientHello, so no certificate was requested: fail closed
            // for hosts that need one rather than let such a client past client certificate checks.
            return table.Tls?.Resolve(request.Host.Host).ClientCertificates is { RequestsCertificate: true } unverifiable
                ? Refuse(context, unverifiable.Config, ClientCertificateRequired)
                : null;
        }

        if (state.Settings.ClientCertificates is not { } verifier)
        {
            return null;
        }

        switch (state.ClientCertificateStatus)
        {
            case ClientCertificateStatus.Missing:
                return Refuse(context, verifier.Config, ClientCertificateRequired);
            case ClientCertificateStatus.Invalid when verifier.Mode is ClientCertificateVerification.On or ClientCertificateVerification.Optional:
                return Refuse(context, verifier.Config, ClientCertificateInvalid);
        }

        if (verifier.Config.PassCertificateToUpstream && state.ClientCertificateDer is { } der)
        {
            request.Headers[ClientCertificateHeader] = Uri.EscapeDataString(PemEncoding.WriteString("CERTIFICATE", der) + "\n");
        }

        return null;
    }

    // The Host header as received, port stripped without allocating (this runs for every HTTP request).
    private static bool NeedsRedirect(RouteConfig config, TlsConfiguration? tls, string? host)
        => config.ForceSslRedirect
            || (config.SslRedirect && tls is not null && tls.HasTlsHost(Gatehouse.Proxy.Routing.RouteTable.StripPort(host)));

    private static Task Redirect(HttpContext context, int port)
    {
        var request = context.Request;
        var host = request.Host.Host;
        var authority = port == 443 ? host : $"{host}:{port}";
        if (host.Contains(':', StringComparison.Ordinal))
        {
            authority = port == 443 ? $"[{host}]" : $"[{host}]:{port}";
        }

        // RawTarget keeps the path and query exactly as the client sent them.
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget
            ?? (request.PathBase + request.Path + request.QueryString).ToString();
        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = "https://" + authority + target;
        return Task.CompletedTask;
    }

    private static Task Refuse(HttpContext context, ClientAuthConfig config, string message)
    {
        if (config.ErrorPage is { Length: > 0 } errorPage)
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = errorPage;
            return Task.CompletedTask;
        }

        return ErrorResponse.WriteAsync(context, (int)HttpStatusCode.BadRequest, message);
    }
}
