namespace Gatehouse.Controller.Sources;

/// <summary>
/// A feed of Kubernetes objects: the manifests folder today, the API server later. The controller
/// loop only ever sees <see cref="ResourceSnapshot"/>s, so it cannot tell the two apart.
/// </summary>
public interface IResourceSource
{
    /// <summary>Short name for logs and readiness messages, e.g. "manifests:/etc/gatehouse".</summary>
    string Name { get; }

    /// <summary>True once the first complete read finished; translating earlier would publish a partial config.</summary>
    bool HasSynced { get; }

    /// <summary>
    /// False when the last read could not see everything the source holds (for the folder: the
    /// listing failed, or a manifest file could not be read or parsed), so <see cref="Current"/> may
    /// lack objects that still exist. The publisher then refuses a config that drops every host
    /// (Tengine's empty-config protection), since a transient read error must not take all routes down.
    /// </summary>
    bool LastReadComplete { get; }

    /// <summary>The latest complete view (<see cref="ResourceSnapshot.Empty"/> before sync).</summary>
    ResourceSnapshot Current { get; }

    /// <summary>
    /// Raised (on a thread-pool thread) after <see cref="Current"/> has been replaced, including after
    /// the first sync. Handlers must be quick and must not throw; they typically just wake a loop.
    /// </summary>
    event EventHandler<ResourceSnapshot>? Changed;

    /// <summary>
    /// True when <see cref="Changed"/> is raised only after the source's own quiet period (the folder
    /// source debounces file events before it reads). The loop then does not wait a second debounce
    /// period on top, which would only add latency between a change and the proxy serving it.
    /// </summary>
    bool SettlesChanges => false;

    /// <summary>Performs the first read and starts watching. Completes once <see cref="HasSynced"/> is true.</summary>
    Task StartAsync(CancellationToken cancellationToken);
}
