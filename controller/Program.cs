using System.Net;
using Gatehouse.Controller;
using Gatehouse.Controller.Admin;
using Gatehouse.Controller.Election;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
using Gatehouse.Controller.Status;
using Gatehouse.Controller.Telemetry;
using Gatehouse.Telemetry;
using Microsoft.Extensions.Logging.Console;

if (args is ["checksum", .. var checksumArgs])
{
    return await Gatehouse.Controller.Checksums.ChecksumCommand.RunAsync(checksumArgs, Console.Out, Console.Error).ConfigureAwait(false);
}

var parsed = CommandLine.Parse(args);
if (parsed.ShowHelp)
{
    Console.Out.WriteLine(CommandLine.Usage);
    return 0;
}

if (parsed.Error is not null || parsed.Options is not { } options)
{
    Console.Error.WriteLine($"gatehouse-controller: {parsed.Error}");
    Console.Error.WriteLine("Run 'gatehouse-controller --help' for usage.");
    return CommandLine.UsageExitCode;
}

if (options.ManifestsDirectory is not null && !Directory.Exists(options.ManifestsDirectory))
{
    Console.Error.WriteLine($"gatehouse-controller: --manifests directory '{options.ManifestsDirectory}' does not exist");
    return CommandLine.UsageExitCode;
}

// Read the kubeconfig (or service account) up front too: a typo there is a usage error, not a retry loop.
KubernetesClientConfiguration? kubernetes = null;
KubernetesClientConfiguration? storage = null;
if (options.UsesKubernetesApi)
{
    var reading = options.InCluster ? "--in-cluster" : $"--kubeconfig '{options.Kubeconfig}'";
    try
    {
        kubernetes = options.InCluster
            ? KubernetesClientConfiguration.InCluster()
            : KubernetesClientConfiguration.FromKubeconfig(options.Kubeconfig!, options.KubeContext);
        if (options.IngressStorageKubeconfig is { } storagePath)
        {
            reading = $"--ingress-storage-kubeconfig '{storagePath}'";
            storage = KubernetesClientConfiguration.FromKubeconfig(storagePath);
        }
    }
    catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or FormatException
        or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
    {
        Console.Error.WriteLine($"gatehouse-controller: {reading}: {ex.Message}");
        return CommandLine.UsageExitCode;
    }
}

// Open the channel before anything else: without it there is nothing useful to do, and a clear
// message beats a dependency-injection stack trace.
ChannelConfigSink sink;
try
{
    sink = new ChannelConfigSink(options.ChannelPath, options.ChannelSchema, ChannelConfigSink.DefaultPublishedBy);
}
catch (Exception ex)
{
    Console.Error.WriteLine($"gatehouse-controller: cannot open channel '{options.ChannelPath}': {ex.Message}");
    return 1;
}

using var ownedSink = sink;

// Host arguments are deliberately not forwarded: our flags are not configuration keys.
var builder = WebApplication.CreateSlimBuilder([]);
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.UseUtcTimestamp = true;
    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
    o.ColorBehavior = LoggerColorBehavior.Disabled;
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

// The admin listener is the only thing Kestrel serves in this process; the proxy is a separate process.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.AdminAddress), options.AdminPort));
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

builder.Services.AddSingleton(options);
using var runtimeApi = kubernetes is null ? null : new KubernetesApiClient(kubernetes);
using var storageApi = storage is null ? null : new KubernetesApiClient(storage);
if (kubernetes is not null && runtimeApi is not null)
{
    // Ingress, IngressClass and Secret live in the storage cluster when one is given; Events and
    // status go to where the Ingress is. The Lease and the published Service belong to the pods' cluster.
    IKubernetesApi ingressApi = storageApi ?? runtimeApi;
    var identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } podName ? podName : Environment.MachineName;
    var podNamespace = options.PodNamespace
        ?? (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
        ?? kubernetes.Namespace
        ?? "default";

    var checkSums = options.UseIngressChecksum || options.UseSecretChecksum
        ? new CheckSumWatch(options.ChecksumApiGroup, options.UseIngressChecksum, options.UseSecretChecksum)
        : null;
    builder.Services.AddSingleton<IKubernetesApi>(runtimeApi);
    if (storage is not null && storageApi is not null)
    {
        builder.Services.AddSingleton<IResourceSource>(sp => new KubernetesResourceSource(
            storageApi, storage.Server.Authority, options.WatchNamespace, new InformerOptions(), sp.GetRequiredService<ILoggerFactory>(), ResourceKinds.Storage, checkSums));
        builder.Services.AddSingleton<IResourceSource>(sp => new KubernetesResourceSource(
            runtimeApi, kubernetes.Server.Authority, options.WatchNamespace, new InformerOptions(), sp.GetRequiredService<ILoggerFactory>(), ResourceKinds.Runtime));
    }
    else
    {
        builder.Services.AddSingleton<IResourceSource>(sp => new KubernetesResourceSource(
            runtimeApi, kubernetes.Server.Authority, options.WatchNamespace, new InformerOptions(), sp.GetRequiredService<ILoggerFactory>(), ResourceKinds.All, checkSums));
    }

    builder.Services.AddSingleton<IEventRecorder>(sp => new KubernetesEventRecorder(
        ingressApi, new EventRecorderOptions { Instance = identity }, sp.GetRequiredService<ILogger<KubernetesEventRecorder>>()));
    builder.Services.AddSingleton(sp => new LeaderElector(
        runtimeApi, new LeaderElectionOptions { LeaseName = options.ElectionId, Namespace = podNamespace, Identity = identity },
        sp.GetRequiredService<ILogger<LeaderElector>>()));
    builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderElector>());
    if (options.WritesIngressStatus)
    {
        builder.Services.AddSingleton(sp =>
        {
            var addresses = options.PublishService?.Split('/') is [var serviceNamespace, var serviceName]
                ? PublishAddresses.FromService(runtimeApi, serviceNamespace, serviceName, new InformerOptions(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<PublishAddresses>())
                : PublishAddresses.Fixed(options.PublishStatusAddresses!);
            var writer = new IngressStatusWriter(ingressApi, sp.GetRequiredService<LeaderElector>(), addresses, sp.GetRequiredService<ILogger<IngressStatusWriter>>());
            writer.Start();
            return writer;
        });
    }
}
else
{
    builder.Services.AddSingleton<IResourceSource>(sp => new ManifestFolderSource(
        options.ManifestsDirectory!, options.Debounce, sp.GetRequiredService<ILogger<ManifestFolderSource>>()));
    builder.Services.AddSingleton<IEventRecorder>(NullEventRecorder.Instance);
}

builder.Services.AddSingleton<IngressEventReporter>();
builder.Services.AddSingleton<IConfigSink>(sink);
builder.Services.AddSingleton<ConfigPublisher>();
builder.Services.AddSingleton<ControllerState>();
builder.Services.AddControllerMetrics();
builder.Services.AddRolloutAndChecksums();
builder.Services.AddHostedService<ControllerLoop>();

var app = builder.Build();
app.MapAdminEndpoints();
app.MapRolloutEndpoints();

// Disposed when Main returns, after the host stopped: that pushes the metrics one last time.
using var otlp = options.OtlpEndpoint is { } otlpEndpoint ? ControllerOtlpExport.Start(otlpEndpoint) : null;

// Ctrl-C and SIGTERM stop the host gracefully (the loop is cancelled, the channel file is closed).
try
{
    await app.RunAsync().ConfigureAwait(false);
}
catch (Exception ex)
{
    // Startup failures (admin port in use, …) are already logged by the host; exit cleanly and non-zero.
    Console.Error.WriteLine($"gatehouse-controller: {ex.Message}");
    return 1;
}

// Non-zero when the control loop died (see ControllerLoop); zero after a normal Ctrl-C/SIGTERM.
return Environment.ExitCode;
