namespace Gatehouse.Controller.Publishing;

public enum PublishOutcome
{
    /// <summary>Not every source has completed its first read; publishing now could drop live routes.</summary>
    NotSynced,

    /// <summary>Same content as the last published config; nothing written.</summary>
    Unchanged,

    Published,
}
