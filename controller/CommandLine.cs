using System.Globalization;
using System.Net;
using Gatehouse.Model;
using Gatehouse.Serialization;

namespace Gatehouse.Controller;

/// <summary>Outcome of parsing the command line: options to run with, a request for help, or a usage error.</summary>
public sealed record CommandLineResult(ControllerOptions? Options, bool ShowHelp, string? Error);

/// <summary>
/// Hand-rolled parser for the controller's small, stable flag set (the flag names are a contract with
/// deployment manifests). Accepts "--flag value" and "--flag=value"; rejects unknown or repeated flags.
/// </summary>
public static class CommandLine
{
    public const int UsageExitCode = 2;

    public const string Usage = """
        Usage: gatehouse-controller --manifests DIR [--channel PATH] [options]
               gatehouse-controller --kubeconfig PATH [--context NAME] [--channel PATH] [options]
               gatehouse-controller --in-cluster [--channel PATH] [options]

        Translates Kubernetes Ingresses into the Gatehouse proxy config.

        Source (exactly one):
          --manifests DIR           directory of *.yaml, *.yml, *.json manifests (not recursive)
          --kubeconfig PATH         watch the API server named by this kubeconfig
          --in-cluster              watch the API server with the pod's service account

          --context NAME            kubeconfig context to use (default: its current-context; needs --kubeconfig)
          --watch-namespace NS      read namespaced objects from NS only (default: all namespaces;
                                    needs --kubeconfig or --in-cluster)

          --ingress-storage-kubeconfig PATH
                                    read Ingress, IngressClass and Secret from this kubeconfig's cluster;
                                    Service and EndpointSlice still come from the main source
                                    (needs --kubeconfig or --in-cluster)

        Status, leader election (API sources only):
          --publish-service NS/NAME copy this Service's load balancer addresses into Ingress status
          --publish-status-address A,B
                                    write these IPs or host names into Ingress status instead
          --election-id NAME        name of the leader election Lease (default: gatehouse-leader)
          --pod-namespace NS        namespace of the Lease (default: $POD_NAMESPACE, else the service
                                    account's namespace, else default)

          --channel PATH            memory-mapped config file shared with the proxy
                                    (default /var/run/gatehouse/config.bin)
          --ingress-class NAME      legacy kubernetes.io/ingress.class value to serve (default: gatehouse)
          --controller-name NAME    IngressClass spec.controller to serve (default: gatehouse.io/ingress-controller)
          --admin-port PORT         admin HTTP port for /healthz, /readyz, /config (default: 10254)
          --admin-address ADDR      admin listen address (default: 127.0.0.1)
          --debounce-ms MS          quiet period before applying changes (default: 200)
          --channel-schema M.N      config schema to publish, for proxies older than this controller
                                    (default: the newest this build writes; same major only)
          --pod-name NAME           this pod's name; its ordinal (NAME-<n>) paces staged rollouts
                                    (default: $POD_NAME, then the host name)
          --use-ingress-checksum    publish Ingresses only when they match their IngressCheckSum
          --use-secret-checksum     publish TLS Secrets only when they match their SecretCheckSum
          --checksum-api-group G    API group of the checksum resources (default: gatehouse.io;
                                    tengine.taobao.org reads Tengine-Ingress's)
          --annotations-prefix P    prefix of Gatehouse annotations (default: nginx.ingress.kubernetes.io,
                                    so ingress-nginx manifests work unchanged)
          --otlp-endpoint URL       push metrics over OTLP/HTTP protobuf to URL/v1/metrics
          --max-canaries-per-path N canary Ingresses per host/path at most (default: 20)
          --default-ssl-certificate NS/NAME
                                    TLS Secret served without SNI or for uncovered names
                                    (default: a self-signed certificate made by the proxy)
          -h, --help                show this help

        Subcommand:
          gatehouse-controller checksum --help   compute the checksum resources from a folder or cluster
        """;

    private static readonly string[] Flags =
    [
        "--manifests", "--channel", "--ingress-class", "--controller-name", "--admin-port", "--admin-address", "--debounce-ms",
        "--channel-schema", "--kubeconfig", "--context", "--watch-namespace", "--annotations-prefix", "--pod-name",
        "--checksum-api-group", "--otlp-endpoint", "--max-canaries-per-path",
        "--ingress-storage-kubeconfig", "--publish-service", "--publish-status-address", "--election-id", "--pod-namespace",
        "--default-ssl-certificate",
    ];

    /// <summary>Flags that take no value.</summary>
    private static readonly string[] Switches = ["--in-cluster", "--use-ingress-checksum", "--use-secret-checksum"];

    public static CommandLineResult Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                return new CommandLineResult(null, ShowHelp: true, Error: null);
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? arg[..equals] : arg;
            if (Switches.Contains(flag))
            {
                if (flag.Length != arg.Length)
                {
                    return Fail($"option '{flag}' takes no value");
                }

                if (!values.TryAdd(flag, "true"))
                {
                    return Fail($"option '{flag}' given more than once");
                }

                continue;
            }

            if (!Flags.Contains(flag))
            {
                return Fail(arg.StartsWith('-') ? $"unknown option '{flag}'" : $"unexpected argument '{arg}'");
            }

            string value;
            if (equals > 0 && flag.Length == equals)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                return Fail($"option '{flag}' needs a value");
            }

            if (value.Length == 0)
            {
                return Fail($"option '{flag}' needs a non-empty value");
            }

            if (!values.TryAdd(flag, value))
            {
                return Fail($"option '{flag}' given more than once");
            }
        }

        values.TryGetValue("--manifests", out var manifests);
        values.TryGetValue("--kubeconfig", out var kubeconfig);
        var inCluster = values.ContainsKey("--in-cluster");
        var sourceCount = (manifests is null ? 0 : 1) + (kubeconfig is null ? 0 : 1) + (inCluster ? 1 : 0);
        if (sourceCount == 0)
        {
            return Fail("missing required option --manifests DIR (or --kubeconfig PATH, or --in-cluster)");
        }

        if (sourceCount > 1)
        {
            return Fail("--manifests, --kubeconfig and --in-cluster are alternatives; give exactly one");
        }

        values.TryGetValue("--context", out var context);
        if (context is not null && kubeconfig is null)
        {
            return Fail("--context needs --kubeconfig");
        }

        values.TryGetValue("--watch-namespace", out var watchNamespace);
        if (watchNamespace is not null && manifests is not null)
        {
            return Fail("--watch-namespace needs --kubeconfig or --in-cluster (a manifests folder has no namespaces to watch)");
        }

        values.TryGetValue("--ingress-storage-kubeconfig", out var storageKubeconfig);
        values.TryGetValue("--publish-service", out var publishService);
        values.TryGetValue("--publish-status-address", out var publishAddressText);
        values.TryGetValue("--election-id", out var electionId);
        values.TryGetValue("--pod-namespace", out var podNamespace);
        if (manifests is not null && (storageKubeconfig ?? publishService ?? publishAddressText ?? electionId ?? podNamespace) is not null)
        {
            return Fail("--ingress-storage-kubeconfig, --publish-service, --publish-status-address, --election-id and --pod-namespace need --kubeconfig or --in-cluster");
        }

        if (publishService is not null && publishAddressText is not null)
        {
            return Fail("--publish-service and --publish-status-address are alternatives; give at most one");
        }

        if (publishService is not null && (publishService.Split('/') is not [{ Length: > 0 }, { Length: > 0 }]))
        {
            return Fail($"--publish-service '{publishService}' is not NAMESPACE/NAME");
        }

        string[]? publishAddresses = null;
        if (publishAddressText is not null)
        {
            publishAddresses = publishAddressText.Split(',', StringSplitOptions.TrimEntries);
            if (publishAddresses.Any(a => a.Length == 0 || a.Any(char.IsWhiteSpace)))
            {
                return Fail($"--publish-status-address '{publishAddressText}' is not a comma-separated list of IPs or host names");
            }
        }

        // Default: the pod layout's path, an emptyDir (medium: Memory) shared with the proxy.
        var channel = values.TryGetValue("--channel", out var given) ? given : Gatehouse.Channel.ConfigChannelWriter.DefaultPath;

        var options = new ControllerOptions
        {
            ManifestsDirectory = manifests,
            Kubeconfig = kubeconfig,
            KubeContext = context,
            InCluster = inCluster,
            WatchNamespace = watchNamespace,
            ChannelPath = channel,
            IngressStorageKubeconfig = storageKubeconfig,
            PublishService = publishService,
            PublishStatusAddresses = publishAddresses,
            ElectionId = electionId ?? ControllerOptions.DefaultElectionId,
            PodNamespace = podNamespace,
        };

        if (values.TryGetValue("--ingress-class", out var ingressClass))
        {
            options = options with { IngressClass = ingressClass };
        }

        if (values.TryGetValue("--annotations-prefix", out var prefix))
        {
            prefix = prefix.TrimEnd('/');
            if (prefix.Length == 0 || prefix.Contains('/', StringComparison.Ordinal) || prefix.Any(char.IsWhiteSpace))
            {
                return Fail($"--annotations-prefix '{prefix}' is not a DNS-style prefix such as nginx.ingress.kubernetes.io");
            }

            options = options with { AnnotationsPrefix = prefix };
        }

        if (values.TryGetValue("--otlp-endpoint", out var otlpText))
        {
            if (!Uri.TryCreate(otlpText, UriKind.Absolute, out var otlp) || otlp.Scheme is not ("http" or "https"))
            {
                return Fail($"--otlp-endpoint '{otlpText}' is not an http(s) URL");
            }

            options = options with { OtlpEndpoint = otlp };
        }

        if (values.TryGetValue("--max-canaries-per-path", out var maxCanaries))
        {
            if (!int.TryParse(maxCanaries, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max) || max < 1)
            {
                return Fail($"--max-canaries-per-path '{maxCanaries}' is not a positive integer");
            }

            options = options with { MaxCanariesPerPath = max };
        }

        if (values.TryGetValue("--default-ssl-certificate", out var defaultCertificate))
        {
            var slash = defaultCertificate.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == defaultCertificate.Length - 1 || defaultCertificate.IndexOf('/', slash + 1) >= 0)
            {
                return Fail($"--default-ssl-certificate '{defaultCertificate}' is not namespace/name");
            }

            options = options with { DefaultSslCertificate = defaultCertificate };
        }

        if (values.TryGetValue("--controller-name", out var controllerName))
        {
            options = options with { ControllerName = controllerName };
        }

        if (values.TryGetValue("--admin-port", out var portText))
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                return Fail($"--admin-port '{portText}' is not a port number (0-65535)");
            }

            options = options with { AdminPort = port };
        }

        if (values.TryGetValue("--admin-address", out var address))
        {
            if (!IPAddress.TryParse(address, out _))
            {
                return Fail($"--admin-address '{address}' is not an IP address");
            }

            options = options with { AdminAddress = address };
        }

        if (values.TryGetValue("--debounce-ms", out var debounceText))
        {
            if (!int.TryParse(debounceText, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > 60_000)
            {
                return Fail($"--debounce-ms '{debounceText}' is not a number of milliseconds (0-60000)");
            }

            options = options with { Debounce = TimeSpan.FromMilliseconds(ms) };
        }

        if (values.TryGetValue("--channel-schema", out var schemaText))
        {
            if (ParseChannelSchema(schemaText, out var error) is not { } schema)
            {
                return Fail(error!);
            }

            options = options with { ChannelSchema = schema };
        }

        if (values.TryGetValue("--pod-name", out var podName))
        {
            options = options with { PodName = podName };
        }

        options = options with
        {
            UseIngressChecksum = values.ContainsKey("--use-ingress-checksum"),
            UseSecretChecksum = values.ContainsKey("--use-secret-checksum"),
        };

        if (values.TryGetValue("--checksum-api-group", out var group))
        {
            if (group is not (Kubernetes.Models.CheckSumResource.DefaultGroup or Kubernetes.Models.CheckSumResource.TengineGroup))
            {
                return Fail($"--checksum-api-group '{group}' is not {Kubernetes.Models.CheckSumResource.DefaultGroup} or {Kubernetes.Models.CheckSumResource.TengineGroup}");
            }

            options = options with { ChecksumApiGroup = group };
        }

        return new CommandLineResult(options, ShowHelp: false, Error: null);
    }

    private static SchemaVersion? ParseChannelSchema(string text, out string? error)
    {
        var supported = $"this controller writes {SchemaVersion.Current.Major}.0 to {SchemaVersion.Current}";
        SchemaVersion schema;
        try
        {
            schema = SchemaVersion.Parse(text);
        }
        catch (FormatException)
        {
            error = $"--channel-schema '{text}' is not a schema version MAJOR.MINOR ({supported})";
            return null;
        }

        if (!ConfigSerializer.CanWrite(schema))
        {
            // Another major cannot be produced by downgrading: its proxies need a controller of that major.
            error = schema.Major != SchemaVersion.Current.Major
                ? $"--channel-schema {schema}: another major is not supported ({supported})"
                : $"--channel-schema {schema}: unknown minor, newer than this build ({supported})";
            return null;
        }

        error = null;
        return schema;
    }

    private static CommandLineResult Fail(string error) => new(null, ShowHelp: false, Error: error);
}
