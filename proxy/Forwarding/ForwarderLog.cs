using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>The log lines both forwarders write, so the two upstream clients read the same in the logs.</summary>
internal static partial class ForwarderLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Backend} at {Destination} timed out: {Reason}")]
    public static partial void LogTimedOut(ILogger logger, string backend, string destination, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request to {Backend} at {Destination} failed, trying the next endpoint: {Reason}: {Error}")]
    public static partial void LogRetryableFailure(ILogger logger, string backend, string destination, string reason, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Backend} at {Destination} answered {Status}, trying the next endpoint (proxy-next-upstream)")]
    public static partial void LogRetryableStatus(ILogger logger, string backend, string destination, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request to {Backend} at {Destination} failed: {Reason}: {Error}")]
    public static partial void LogRequestFailed(ILogger logger, string backend, string destination, string reason, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading the request body of {Path} failed: {Error}")]
    public static partial void LogClientBodyFailed(ILogger logger, string? path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response body of {Path} failed mid-stream: {Error}")]
    public static partial void LogResponseBodyFailed(ILogger logger, string? path, string error);
}
