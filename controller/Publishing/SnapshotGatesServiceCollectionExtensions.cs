using Gatehouse.Controller.Checksums;
using Gatehouse.Controller.Events;
using Gatehouse.Controller.Rollout;
using Gatehouse.Controller.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Controller.Publishing;

public static class SnapshotGatesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the rollout and checksum gates the loop runs snapshots through. The rollout gate starts
    /// from the applied copies the channel holds (a restarted controller serves what it served).
    /// </summary>
    public static IServiceCollection AddRolloutAndChecksums(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IEventRecorder>(NullEventRecorder.Instance);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<ControllerOptions>();
            var events = sp.GetRequiredService<IEventRecorder>();
            var seed = sp.GetRequiredService<ConfigPublisher>().LastPublished?.AppliedObjects ?? [];
            var gates = new SnapshotGates(
                new ChecksumGate(options.UseIngressChecksum, options.UseSecretChecksum, options.AnnotationsPrefix + "/", events,
                    sp.GetRequiredService<ILogger<ChecksumGate>>()),
                new RolloutGate(options.PodName, options.AnnotationsPrefix + "/", seed, events, sp.GetRequiredService<ILogger<RolloutGate>>()));

            // Observable instruments live on the factory's meter; nothing else needs to hold them.
            _ = new GateMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), gates);
            return gates;
        });
        return services;
    }
}
