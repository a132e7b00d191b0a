namespace Gatehouse.Proxy.Forwarding;

/// <summary>Outcome of one forwarded request, for logging and tests.</summary>
public enum ForwarderError
{
    None,

    /// <summary>The backend could not be reached (connect refused, reset before headers): 502.</summary>
    Request,

    /// <summary>No response headers within the upstream timeout: 504.</summary>
    RequestTimedOut,

    /// <summary>The client aborted or sent a broken body before a response was produced.</summary>
    RequestBodyClient,

    /// <summary>Reading the request body from the client failed after the response started.</summary>
    RequestCanceled,

    /// <summary>The response body failed mid-stream; the client connection is aborted.</summary>
    ResponseBody,

    /// <summary>An upgraded (101) connection ended with an error on either side.</summary>
    UpgradeTunnel,

    /// <summary>
    /// The backend answered with a status listed in proxy-next-upstream (e.g. 502) on an attempt that
    /// may be retried; its response was discarded and nothing was sent to the client.
    /// </summary>
    UpstreamStatus,
}
