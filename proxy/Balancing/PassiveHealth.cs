using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Balancing;

/// <summary>
/// nginx's max_fails/fail_timeout for every endpoint: <see cref="MaxFails"/> failed attempts within
/// <see cref="FailTimeout"/> make the endpoint unavailable for <see cref="FailTimeout"/>; then it is
/// tried again, and one success clears its record. A failure is a connect error, a timeout or a
/// status the route's proxy-next-upstream lists. <see cref="MaxFails"/> 0 turns ejection off.
/// </summary>
internal sealed partial class PassiveHealth
{
    public static readonly PassiveHealth Default = new(1, TimeSpan.FromSeconds(10), logger: null);

    private readonly ILogger? _logger;

    public PassiveHealth(int maxFails, TimeSpan failTimeout, ILogger? logger)
    {
        MaxFails = maxFails;
        FailTimeout = failTimeout;
        FailTimeoutTicks = (long)(failTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _logger = logger;
    }

    public int MaxFails { get; }

    public TimeSpan FailTimeout { get; }

    public long FailTimeoutTicks { get; }

    public void Ejected(EndpointState endpoint, int failures)
    {
        if (_logger is not null)
        {
            LogEjected(_logger, endpoint.Name, failures, FailTimeout.TotalSeconds);
        }
    }

    public void Recovered(EndpointState endpoint)
    {
        if (_logger is not null)
        {
            LogRecovered(_logger, endpoint.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoint {Endpoint} failed {Failures} time(s) and is ejected for {Seconds} s (passive health)")]
    private static partial void LogEjected(ILogger logger, string endpoint, int failures, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Endpoint {Endpoint} answered again and is back in rotation")]
    private static partial void LogRecovered(ILogger logger, string endpoint);
}
