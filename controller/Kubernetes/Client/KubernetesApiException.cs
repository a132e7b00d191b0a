using System.Net;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Kubernetes.Client;

/// <summary>The API server refused a request (an HTTP error, or a watch ERROR event), with its Status when it sent one.</summary>
public sealed class KubernetesApiException : Exception
{
    public KubernetesApiException(HttpStatusCode statusCode, Models.Status? status, string message)
        : base(message)
    {
        StatusCode = statusCode;
        Status = status;
    }

    public KubernetesApiException()
        : this(HttpStatusCode.InternalServerError, null, "Kubernetes API request failed")
    {
    }

    public KubernetesApiException(string message)
        : this(HttpStatusCode.InternalServerError, null, message)
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = HttpStatusCode.InternalServerError;
    }

    public HttpStatusCode StatusCode { get; }

    public Models.Status? Status { get; }

    /// <summary>The resourceVersion asked for is too old (compacted): the caller must list again.</summary>
    /// <summary>The object does not exist.</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    /// <summary>A conditional write lost a race (stale resourceVersion) or a create found the object already there.</summary>
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict;

    public bool IsGone => StatusCode == HttpStatusCode.Gone || Status?.Code == Models.Status.GoneCode;
}
