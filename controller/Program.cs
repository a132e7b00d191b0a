using System.Net;
using Gatehouse.Controller;
using Gatehouse.Controller.Admin;
using Gatehouse.Controller.Kubernetes.Client;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
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
if (options.UsesKubernetesApi)
{
    try
    {
        kubernetes = options.InCluster
            ? KubernetesClientConfiguration.InCluster()
            : KubernetesClientConfiguration.FromKubeconfig(options.Kubeconfig!, options.KubeContext);
    }
    catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or FormatException
        or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
    {
        Console.Error.WriteLine($"gatehouse-controller: {(options.InCluster ? "--in-cluster" : $"--kubeconfig '{options.Kubeconfig}'")}: {ex.Message}");
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
if (kubernetes is not null)
{
    builder.Services.AddSingleton<IKubernetesApi>(_ => new KubernetesApiClient(kubernetes));
    builder.Services.AddSingleton<IResourceSource>(sp => new KubernetesResourceSource(
        sp.GetRequiredService<IKubernetesApi>(), kubernetes.Server.Authority, options.WatchNamespace, new InformerOptions(),
        sp.GetRequiredService<ILoggerFactory>(),
        options.UseIngressChecksum || options.UseSecretChecksum
            ? new CheckSumWatch(options.ChecksumApiGroup, options.UseIngressChecksum, options.UseSecretChecksum)
            : null));
}
else
{
    builder.Services.AddSingleton<IResourceSource>(sp => new ManifestFolderSource(
        options.ManifestsDirectory!, options.Debounce, sp.GetRequiredService<ILogger<ManifestFolderSource>>()));
}
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
