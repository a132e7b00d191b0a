namespace Gatehouse.Controller.Sources;

/// <summary>
/// A source that can lose its upstream after syncing (the API server). While <see cref="Problem"/> is
/// set the source still serves its last view; /readyz reports the problem so operators see it.
/// </summary>
public interface ISourceHealth
{
    /// <summary>Null while healthy; otherwise what fails, e.g. "list /api/v1/services failed: connection refused".</summary>
    string? Problem { get; }
}
