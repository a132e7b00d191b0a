namespace Gatehouse.Controller.Publishing;

public enum PublishOutcome
{
    /// <summary>Not every source has completed its first read; publishing now could drop live routes.</summary>
    NotSynced,

    /// <summary>Same content as the last published config; nothing written.</summary>
    Unchanged,

    Published,

    /// <summary>
    /// The config has no hosts and no default backend, the last one published had some, and a source's
    /// last read was incomplete: most likely a read error, not a real deletion, so nothing is written.
    /// </summary>
    RefusedEmpty,
}
