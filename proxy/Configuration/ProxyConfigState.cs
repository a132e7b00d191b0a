using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Configuration;

/// <summary>
/// The proxy's current routing state: one volatile reference to an immutable <see cref="RouteTable"/>.
/// Requests read <see cref="Current"/> once; <see cref="Apply"/> compiles a new table and swaps the
/// reference, so readers never lock and never see a half-built table.
/// </summary>
internal sealed class ProxyConfigState : IDisposable
{
    private readonly Lock _applyLock = new();
    private readonly BackendRegistry _registry;
    private volatile RouteTable? _current;
    private volatile ConfigRejection? _lastRejection;

    public ProxyConfigState(ForwarderOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        _registry = new BackendRegistry(options, logger);
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>The table to route with, or null while no config has been loaded (503).</summary>
    public RouteTable? Current => _current;

    public bool IsReady => _current is not null;

    /// <summary>The most recent refused config or channel error; kept after later successes for diagnostics.</summary>
    public ConfigRejection? LastRejection => _lastRejection;

    internal BackendRegistry Registry => _registry;

    /// <summary>Raised after a new table is published (on the applying thread).</summary>
    public event Action<RouteTable>? TableChanged;

    /// <summary>Compiles <paramref name="config"/> and makes it current.</summary>
    public RouteTable Apply(GatehouseConfig config, long? generation = null, Guid instanceId = default, DateTimeOffset writtenAt = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        RouteTable table;
        lock (_applyLock)
        {
            // Serialized so backend client reuse is computed against exactly the previous generation.
            var compiled = _registry.Compile(config);
            try
            {
                var info = new RouteTableInfo(
                    generation ?? config.Generation,
                    instanceId,
                    config.Schema,
                    writtenAt,
                    TimeProvider.GetUtcNow());
                table = new RouteTable(config, compiled.Backends, info);
            }
            catch
            {
                // The serving table keeps its clients; only the ones made for this attempt go.
                _registry.Abandon(compiled);
                throw;
            }

            _current = table;
            _registry.Commit(compiled);
        }

        TableChanged?.Invoke(table);
        return table;
    }

    public void RecordRejection(string reason, string? detail)
        => _lastRejection = new ConfigRejection(reason, detail, TimeProvider.GetUtcNow());

    public void Dispose() => _registry.Dispose();
}
