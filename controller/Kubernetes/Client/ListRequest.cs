namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>Query of one list page; null fields are not sent.</summary>
public sealed record ListRequest
{
    public string? FieldSelector { get; init; }

    public string? LabelSelector { get; init; }

    public int? Limit { get; init; }

    /// <summary>The previous page's metadata.continue.</summary>
    public string? Continue { get; init; }
}
