using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Gatehouse.Proxy.Tls;

/// <summary>
/// Kestrel glue for the HTTPS listener. Kestrel hands the raw ClientHello to
/// <see cref="OnClientHello"/> before the handshake; it is parsed once and, in <see cref="OnAuthenticate"/>,
/// decides the host settings (SNI), the certificate (<see cref="CertificateSelectionPolicy"/>), the
/// protocols, ciphers and client certificate request for this connection. The current
/// <see cref="TlsConfiguration"/> is read once per handshake, so a new certificate is used from the next
/// handshake on while open connections keep theirs.
/// </summary>
internal sealed class TlsHandshakeHandler
{
    private readonly Func<TlsConfiguration> _current;

    public TlsHandshakeHandler(Func<TlsConfiguration> current)
    {
        _current = current;
    }

    /// <summary>
    /// Raised on the handshake path after a certificate is chosen. A hook for handshake metrics (by key
    /// type and host); handlers must be cheap and must not throw.
    /// </summary>
    public event Action<TlsHostSettings, ServerCertificate>? CertificateSelected;

    public void Configure(HttpsConnectionAdapterOptions options)
    {
        options.TlsClientHelloBytesCallback = OnClientHello;

        // Required by Kestrel to accept the options; only used when OnAuthenticate could not decide
        // (no parsable ClientHello), where SslStream still reports SNI to this callback.
        options.ServerCertificateSelector = (_, name) => Select(_current().Resolve(name), null).Leaf;
        options.OnAuthenticate = OnAuthenticate;
        options.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate;
    }

    private static void OnClientHello(ConnectionContext connection, ReadOnlySequence<byte> bytes)
    {
        if (ClientHelloParser.TryParse(bytes, out var hello))
        {
            connection.Features.Set(hello);
        }
    }

    private void OnAuthenticate(ConnectionContext connection, SslServerAuthenticationOptions ssl)
    {
        var hello = connection.Features.Get<ClientHello>();
        if (hello is null)
        {
            // Without a parsed ClientHello, SNI is only known inside SslStream: keep Kestrel's selector
            // (which resolves by name) and the platform defaults for this rare connection.
            return;
        }

        connection.Features.Set(Apply(ssl, hello));
    }

    /// <summary>
    /// The server options of one handshake, for the proxy's own HTTPS listener. With no parsed
    /// <paramref name="hello"/> the certificate is chosen by the SNI name SslStream reports and
    /// <paramref name="state"/> is null, as on Kestrel's listener.
    /// </summary>
    public SslServerAuthenticationOptions CreateOptions(ClientHello? hello, List<SslApplicationProtocol> applicationProtocols, out TlsConnectionState? state)
    {
        var ssl = new SslServerAuthenticationOptions
        {
            ApplicationProtocols = applicationProtocols,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (hello is null)
        {
            ssl.ServerCertificateSelectionCallback = (_, name) => Select(_current().Resolve(name), null).Leaf;
            state = null;
            return ssl;
        }

        state = Apply(ssl, hello);
        return ssl;
    }

    /// <summary>Sets certificate, protocols, ciphers and client certificate request from the ClientHello.</summary>
    private TlsConnectionState Apply(SslServerAuthenticationOptions ssl, ClientHello hello)
    {
        var settings = _current().Resolve(hello.ServerName);
        var certificate = Select(settings, hello);
        var state = new TlsConnectionState(settings, certificate, hello);

        ssl.ServerCertificateSelectionCallback = null;
        ssl.ServerCertificate = null;
        ssl.ServerCertificateContext = certificate.Context;
        ssl.EnabledSslProtocols = settings.Protocols;
        if (settings.CipherSuites is { } suites)
        {
            ssl.CipherSuitesPolicy = suites;
        }

        if (settings.ClientCertificates is { } verifier)
        {
            ssl.ClientCertificateRequired = verifier.RequestsCertificate;
            ssl.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                // Always complete the handshake; the request path enforces the verdict (400 or error page).
                using var copy = presented is null ? null : X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                state.ClientCertificateStatus = verifier.Verify(copy);
                state.ClientCertificateDer = copy?.RawData;
                return true;
            };
            if (!verifier.RequestsCertificate)
            {
                state.ClientCertificateStatus = ClientCertificateStatus.None;
            }
            else
            {
                // If the client sends nothing the callback may not run: judge "nothing" up front.
                state.ClientCertificateStatus = verifier.Verify(null);
            }
        }

        return state;
    }

    private ServerCertificate Select(TlsHostSettings settings, ClientHello? hello)
    {
        var certificate = CertificateSelectionPolicy.Select(settings.Certificates, hello, settings.AllowsTls13);
        CertificateSelected?.Invoke(settings, certificate);
        return certificate;
    }
}
