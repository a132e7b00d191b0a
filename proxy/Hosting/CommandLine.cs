using System.Globalization;
using System.Net;
using Gatehouse.Proxy.Telemetry;

namespace Gatehouse.Proxy.Hosting;

/// <summary>Hand-written parser for the proxy's flags. The flag names are a contract with the chart.</summary>
internal static class CommandLine
{
    public const int DefaultHttpsPort = 8443;

    public const string Usage = """
        Usage: gatehouse-proxy [--channel PATH] [options]

        Options:
          --channel PATH            config channel file written by the controller
                                    (default /var/run/gatehouse/config.bin)
          --address ADDR            traffic listen address (default 0.0.0.0)
          --http-port N             traffic port (default 8080)
          --https-port N            HTTPS traffic port, h2 and http/1.1 by ALPN (default 8443)
          --https-redirect-port N   port put in HTTP -> HTTPS redirects; 443 is left out (default 443)
          --admin-address ADDR      admin listen address (default: --address)
          --admin-port N            admin port for /healthz, /readyz, /config, /metrics,
                                    /stats/hosts and the live page at / (default 9090)
          --poll-interval-ms N      channel poll interval in milliseconds (default 10)
          --upstream-timeout S      seconds to wait for a backend's response headers (default 60)
          --upstream-max-fails N    failed attempts that eject an endpoint (passive health; default 1, 0 = off)
          --upstream-fail-timeout S window for those failures and how long an ejected endpoint sits out (default 10)
          --upstream-client sockets|lean
                                    HTTP client for plain-HTTP backends: SocketsHttpHandler or
                                    the pooled HTTP/1.1 pipe client (default lean)
          --http1-server gatehouse|kestrel
                                    HTTP/1.1 server for the cleartext listener: the proxy's
                                    own, which serves a connection on the event loop that
                                    accepted it, or Kestrel's (default gatehouse; with
                                    --transport sockets, Kestrel's)
          --https-server gatehouse|kestrel
                                    who terminates TLS on the HTTPS port: the proxy's own,
                                    which runs the handshake on the event loop and hands the
                                    connection to the proxy's HTTP/1.1 or HTTP/2 server by
                                    ALPN, or Kestrel's (default gatehouse; Kestrel's with
                                    --transport sockets or either server set to kestrel)
          --http2-server gatehouse|kestrel
                                    HTTP/2 server for h2 clients: the proxy's own, which runs
                                    each stream on the thread that read it, or Kestrel's
                                    (default gatehouse)
          --transport sockets|epoll
                                    client connections on Kestrel's socket transport, or on
                                    the proxy's own epoll event loops, where the lean client's
                                    backend connections live too (default epoll on Linux)
          --event-loops N|auto      threads of the epoll transport; auto is one per CPU the
                                    process may use, less one, at least 1 (default auto)
          --access-log stdout|off   one JSON line per request on stdout (default stdout)
          --tracing on|off          a span per request, traceparent sent to backends
                                    (default off; on when --otlp-endpoint is given)
          --otlp-endpoint URL       export metrics and spans over OTLP/HTTP protobuf to
                                    URL/v1/metrics and URL/v1/traces
          -h, --help                show this help
        """;

    /// <summary>Parses <paramref name="args"/>. Returns null options with <paramref name="error"/>
    /// set on a usage error, or with both null when help was requested.</summary>
    public static ProxyOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var options = new ProxyOptions { HttpsPort = DefaultHttpsPort };
        string? channel = null;
        IPAddress? adminAddress = null;
        bool? tracing = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                return null;
            }

            // Accept both "--flag value" and "--flag=value".
            string name = arg;
            string? value = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }

            if (name is not ("--channel" or "--address" or "--http-port" or "--https-port" or "--https-redirect-port" or "--admin-address" or "--admin-port"
                or "--poll-interval-ms" or "--upstream-timeout" or "--upstream-max-fails" or "--upstream-fail-timeout" or "--upstream-client" or "--http1-server" or "--https-server" or "--http2-server" or "--transport" or "--event-loops" or "--access-log" or "--tracing" or "--otlp-endpoint"))
            {
                error = $"unknown argument '{arg}'";
                return null;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    error = $"{name} requires a value";
                    return null;
                }

                value = args[++i];
            }

            switch (name)
            {
                case "--channel":
                    if (value.Length == 0)
                    {
                        error = "--channel must not be empty";
                        return null;
                    }

                    channel = value;
                    break;
                case "--address":
                    if (!IPAddress.TryParse(value, out var address))
                    {
                        error = $"--address: '{value}' is not an IP address";
                        return null;
                    }

                    options = options with { Address = address };
                    break;
                case "--admin-address":
                    if (!IPAddress.TryParse(value, out adminAddress))
                    {
                        error = $"--admin-address: '{value}' is not an IP address";
                        return null;
                    }

                    break;
                case "--http-port":
                    if (!TryPort(value, out var httpPort))
                    {
                        error = $"--http-port: '{value}' is not a port (0-65535)";
                        return null;
                    }

                    options = options with { HttpPort = httpPort };
                    break;
                case "--https-port":
                    if (!TryPort(value, out var httpsPort))
                    {
                        error = $"--https-port: '{value}' is not a port (0-65535)";
                        return null;
                    }

                    options = options with { HttpsPort = httpsPort };
                    break;
                case "--https-redirect-port":
                    if (!TryPort(value, out var redirectPort) || redirectPort == 0)
                    {
                        error = $"--https-redirect-port: '{value}' is not a port (1-65535)";
                        return null;
                    }

                    options = options with { HttpsRedirectPort = redirectPort };
                    break;
                case "--admin-port":
                    if (!TryPort(value, out var adminPort))
                    {
                        error = $"--admin-port: '{value}' is not a port (0-65535)";
                        return null;
                    }

                    options = options with { AdminPort = adminPort };
                    break;
                case "--poll-interval-ms":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pollMs) || pollMs < 1)
                    {
                        error = $"--poll-interval-ms: '{value}' is not a positive integer";
                        return null;
                    }

                    options = options with { PollInterval = TimeSpan.FromMilliseconds(pollMs) };
                    break;
                case "--upstream-timeout":
                    if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
                        || seconds <= 0 || seconds > int.MaxValue / 1000)
                    {
                        error = $"--upstream-timeout: '{value}' is not a positive number of seconds";
                        return null;
                    }

                    options = options with { UpstreamTimeout = TimeSpan.FromSeconds(seconds) };
                    break;
                case "--upstream-max-fails":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var maxFails))
                    {
                        error = $"--upstream-max-fails: '{value}' is not a whole number (0 turns passive health off)";
                        return null;
                    }

                    options = options with { UpstreamMaxFails = maxFails };
                    break;
                case "--upstream-fail-timeout":
                    if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var failSeconds)
                        || failSeconds <= 0 || failSeconds > int.MaxValue / 1000)
                    {
                        error = $"--upstream-fail-timeout: '{value}' is not a positive number of seconds";
                        return null;
                    }

                    options = options with { UpstreamFailTimeout = TimeSpan.FromSeconds(failSeconds) };
                    break;
                case "--upstream-client":
                    switch (value)
                    {
                        case "sockets":
                            options = options with { UpstreamClient = Gatehouse.Proxy.Forwarding.UpstreamClient.Sockets };
                            break;
                        case "lean":
                            options = options with { UpstreamClient = Gatehouse.Proxy.Forwarding.UpstreamClient.Lean };
                            break;
                        default:
                            error = $"--upstream-client: '{value}' is not one of sockets, lean";
                            return null;
                    }

                    break;
                case "--http1-server":
                    switch (value)
                    {
                        case "gatehouse":
                            options = options with { Http1Server = Http1Server.Gatehouse };
                            break;
                        case "kestrel":
                            options = options with { Http1Server = Http1Server.Kestrel };
                            break;
                        default:
                            error = $"--http1-server: '{value}' is not one of gatehouse, kestrel";
                            return null;
                    }

                    break;
                case "--https-server":
                    switch (value)
                    {
                        case "gatehouse":
                            options = options with { HttpsServer = HttpsServer.Gatehouse };
                            break;
                        case "kestrel":
                            options = options with { HttpsServer = HttpsServer.Kestrel };
                            break;
                        default:
                            error = $"--https-server: '{value}' is not one of gatehouse, kestrel";
                            return null;
                    }

                    break;
                case "--http2-server":
                    switch (value)
                    {
                        case "gatehouse":
                            options = options with { Http2Server = Http2Server.Gatehouse };
                            break;
                        case "kestrel":
                            options = options with { Http2Server = Http2Server.Kestrel };
                            break;
                        default:
                            error = $"--http2-server: '{value}' is not one of gatehouse, kestrel";
                            return null;
                    }

                    break;
                case "--transport":
                    switch (value)
                    {
                        case "sockets":
                            options = options with { Transport = Gatehouse.Proxy.Transport.ProxyTransport.Sockets };
                            break;
                        case "epoll" when OperatingSystem.IsLinux():
                            options = options with { Transport = Gatehouse.Proxy.Transport.ProxyTransport.Epoll };
                            break;
                        case "epoll":
                            error = "--transport: epoll needs Linux";
                            return null;
                        default:
                            error = $"--transport: '{value}' is not one of sockets, epoll";
                            return null;
                    }

                    break;
                case "--event-loops":
                    var loops = value == "auto" ? ProxyOptions.AutoEventLoops(Environment.ProcessorCount) : 0;
                    if (loops == 0 && (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out loops) || loops is < 1 or > 256))
                    {
                        error = $"--event-loops: '{value}' is not auto or a number from 1 to 256";
                        return null;
                    }

                    options = options with { EventLoops = loops };
                    break;
                case "--access-log":
                    switch (value)
                    {
                        case "stdout":
                            options = options with { AccessLog = AccessLogMode.Stdout };
                            break;
                        case "off":
                            options = options with { AccessLog = AccessLogMode.Off };
                            break;
                        default:
                            error = $"--access-log: '{value}' is not one of stdout, off";
                            return null;
                    }

                    break;
                case "--tracing":
                    if (value is not ("on" or "off"))
                    {
                        error = $"--tracing: '{value}' is not one of on, off";
                        return null;
                    }

                    tracing = value == "on";
                    break;
                case "--otlp-endpoint":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var otlp) || otlp.Scheme is not ("http" or "https"))
                    {
                        error = $"--otlp-endpoint: '{value}' is not an http(s) URL";
                        return null;
                    }

                    options = options with { OtlpEndpoint = otlp };
                    break;
            }
        }

        // The pod layout's path: an emptyDir (medium: Memory) shared with the controller.
        channel ??= Gatehouse.Channel.ConfigChannelWriter.DefaultPath;

        if (options.HttpPort != 0 && options.HttpPort == options.AdminPort
            && (adminAddress ?? options.Address).Equals(options.Address))
        {
            error = "--http-port and --admin-port must differ: traffic and admin never share a listener";
            return null;
        }

        if (options.HttpsPort is { } https && https != 0 && (https == options.HttpPort || (https == options.AdminPort && (adminAddress ?? options.Address).Equals(options.Address))))
        {
            error = "--https-port must differ from --http-port and --admin-port";
            return null;
        }

        // Exporting to a collector without spans would be surprising; "--tracing off" still wins.
        return options with
        {
            ChannelPath = channel,
            AdminAddress = adminAddress,
            Tracing = tracing ?? options.OtlpEndpoint is not null,
        };
    }

    private static bool TryPort(string value, out int port)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
}
