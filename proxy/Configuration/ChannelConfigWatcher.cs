using System.Diagnostics;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Proxy.Telemetry;
using Gatehouse.Serialization;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Configuration;

/// <summary>
/// The strategy thread: polls the config channel on a dedicated background thread and applies each
/// new blob. A blob that cannot be decoded or compiled is logged once and dropped; the last good table
/// keeps serving. Polling is cheap (a header read of a mapped file), so a plain thread with a sleep is
/// simpler and more predictable than timers on the thread pool, which traffic may saturate.
/// </summary>
internal sealed partial class ChannelConfigWatcher : IDisposable
{
    private readonly IConfigBlobSource _source;
    private readonly ProxyConfigState _state;
    private readonly TimeSpan _pollInterval;
    private readonly ILogger _logger;
    private readonly Func<byte[], GatehouseConfig> _decode;
    private readonly ProxyMetrics? _metrics;
    // No spinning: the wait is the poll interval itself (100 times a second by default), and the
    // default spin before each would burn CPU the traffic needs.
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 0);
    private Thread? _thread;

    // The last problem reported, so a persisting state (missing file, broken reader) logs once.
    private string? _lastProblem;

    public ChannelConfigWatcher(
        IConfigBlobSource source,
        ProxyConfigState state,
        TimeSpan pollInterval,
        ILogger logger,
        Func<byte[], GatehouseConfig>? decode = null,
        ProxyMetrics? metrics = null)
    {
        _source = source;
        _state = state;
        _pollInterval = pollInterval;
        _logger = logger;
        // Hosts and backends unchanged since the last blob keep their decoded instances, which lets the
        // route table keep their compiled form too.
        var cache = new ConfigDecodeCache();
        _decode = decode ?? (payload => ConfigSerializer.Deserialize(payload, cache));
        _metrics = metrics;
    }

    /// <summary>Starts the polling thread (the first poll happens immediately).</summary>
    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("The watcher is already running.");
        }

        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "gatehouse-strategy",
        };
        _thread.Start();
    }

    /// <summary>Polls once and applies what it finds. Called by the thread; tests may call it directly.</summary>
    public ChannelReadStatus PollOnce()
    {
        ChannelReadResult result;
        try
        {
            result = _source.Poll();
        }
        catch (Exception ex)
        {
            ReportOnce("poll_failed", ex.Message);
            return ChannelReadStatus.Rejected;
        }

        switch (result.Status)
        {
            case ChannelReadStatus.NewBlob when result.Blob is { } blob:
                return ApplyBlob(blob);

            case ChannelReadStatus.FileMissing:
                // Not ready until the controller publishes; if a table is loaded it keeps serving.
                if (_lastProblem != "file_missing")
                {
                    _lastProblem = "file_missing";
                    LogFileMissing(_logger, _state.IsReady);
                }

                return ChannelReadStatus.FileMissing;

            case ChannelReadStatus.Rejected:
                // The reader reports each bad generation once, so this logs once per bad blob.
                var reason = result.RejectReason ?? "rejected";
                _lastProblem = reason;
                RecordRejection(reason, result.Detail);
                LogRejected(_logger, reason, result.Detail ?? "");
                return ChannelReadStatus.Rejected;

            default:
                return ChannelReadStatus.NoChange;
        }
    }

    private ChannelReadStatus ApplyBlob(ChannelBlob blob)
    {
        var started = Stopwatch.GetTimestamp();
        GatehouseConfig config;
        try
        {
            config = _decode(blob.Payload);
        }
        catch (Exception ex)
        {
            // Reasons are metric label values: a short, fixed vocabulary (see docs/observability.md).
            var reason = ex is ConfigSchemaException ? "schema_major" : "decode_error";
            Reject(blob, reason, ex.Message);
            return ChannelReadStatus.Rejected;
        }

        try
        {
            var table = _state.Apply(config, blob.Generation, blob.InstanceId, blob.WrittenAt);
            _metrics?.ConfigSwapped(Stopwatch.GetElapsedTime(started));
            _lastProblem = null;
            LogApplied(_logger, blob.Generation, blob.InstanceId, table.HostCount, table.RouteCount, table.Backends.Count);
            return ChannelReadStatus.NewBlob;
        }
        catch (Exception ex)
        {
            // A config that decodes but cannot be compiled must not take the proxy down either.
            Reject(blob, "build_error", ex.Message);
            return ChannelReadStatus.Rejected;
        }
    }

    private void Reject(ChannelBlob blob, string reason, string detail)
    {
        _lastProblem = reason;
        RecordRejection(reason, detail);
        LogBlobRejected(_logger, blob.Generation, reason, detail, _state.Current?.Generation);
    }

    private void ReportOnce(string reason, string detail)
    {
        if (_lastProblem != reason)
        {
            _lastProblem = reason;
            RecordRejection(reason, detail);
            LogRejected(_logger, reason, detail);
        }
    }

    /// <summary>Every path that logs a rejection comes through here, so the counter moves exactly once per bad state.</summary>
    private void RecordRejection(string reason, string? detail)
    {
        _state.RecordRejection(reason, detail);
        _metrics?.ConfigRejected(reason);
    }

    private void Run()
    {
        do
        {
            PollOnce();
        }
        while (!_stop.Wait(_pollInterval));
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        _source.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied config generation {Generation} (instance {InstanceId}): {Hosts} hosts, {Routes} routes, {Backends} backends")]
    private static partial void LogApplied(ILogger logger, long generation, Guid instanceId, int hosts, int routes, int backends);

    [LoggerMessage(Level = LogLevel.Error, Message = "Config generation {Generation} rejected ({Reason}): {Detail}; keeping generation {Current}")]
    private static partial void LogBlobRejected(ILogger logger, long generation, string reason, string detail, long? current);

    [LoggerMessage(Level = LogLevel.Error, Message = "Config channel rejected ({Reason}): {Detail}")]
    private static partial void LogRejected(ILogger logger, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Config channel file is missing (serving last good config: {Ready}); waiting for the controller")]
    private static partial void LogFileMissing(ILogger logger, bool ready);
}
