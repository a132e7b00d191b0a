namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>Tuning of an <see cref="Informer{T}"/>; the defaults suit a real API server.</summary>
public sealed record InformerOptions
{
    /// <summary>Items per list page, so a large cluster is not one huge response.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Asked of the server per watch; it then closes the stream and we resume, which also detects half-dead connections.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    /// <summary>First reconnect delay after a failure; doubles per consecutive failure.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
