using System.Runtime.InteropServices;
using Gatehouse.Proxy.Hosting;

var options = CommandLine.Parse(args, out var error);
if (options is null)
{
    if (error is null)
    {
        Console.Out.WriteLine(CommandLine.Usage);
        return 0;
    }

    Console.Error.WriteLine($"gatehouse-proxy: {error}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

InlineSocketCompletions.EnableUnlessConfigured();
await using var server = new ProxyServer(options);
await server.StartAsync();

// SIGTERM (Kubernetes) and SIGINT both start a graceful drain: Kestrel stops accepting, in-flight
// requests finish (up to the shutdown timeout), then the process exits.
var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
Console.Out.WriteLine($"gatehouse-proxy listening on {options.Address}:{server.HttpPort} (admin {options.AdminAddress ?? options.Address}:{server.AdminPort})");
await stop.Task;
await server.StopAsync();
return 0;
