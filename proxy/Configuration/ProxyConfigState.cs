using Gatehouse.Model;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Tls;
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
    private TlsConfigurationBuilder? _tls;
    private volatile TlsConfiguration? _emptyTls;
    private readonly ILogger _logger;

    public ProxyConfigState(ForwarderOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        _registry = new BackendRegistry(options, logger);
        _logger = logger;
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>The table to route with, or null while no config has been loaded (503).</summary>
    public RouteTable? Current => _current;

    public bool IsReady => _current is not null;

    /// <summary>The most recent refused config or channel error; kept after later successes for diagnostics.</summary>
    public ConfigRejection? LastRejection => _lastRejection;

    internal BackendRegistry Registry => _registry;

    /// <summary>The port HTTP → HTTPS redirects point at (443 is left out of the Location).</summary>
    public int HttpsRedirectPort { get; set; } = 443;

    /// <summary>The certificate cache and SNI compiler, once TLS is enabled (tests assert reuse with it).</summary>
    internal TlsConfigurationBuilder? TlsBuilder => _tls;

    /// <summary>
    /// Compiles certificates from now on (the HTTPS listener exists), with <paramref name="fallbackDefault"/>
    /// served when the config names no default certificate. Call before the first <see cref="Apply"/>.
    /// </summary>
    public void EnableTls(ServerCertificate fallbackDefault)
    {
        lock (_applyLock)
        {
            _tls = new TlsConfigurationBuilder(fallbackDefault, _logger);
            _emptyTls = _tls.Build(GatehouseConfig.Empty);
        }
    }

    /// <summary>What handshakes use: the current generation's TLS view, or only the default certificate before the first config.</summary>
    public TlsConfiguration CurrentTls
        => _current?.Tls ?? _emptyTls ?? throw new InvalidOperationException("TLS is not enabled.");

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
                table = new RouteTable(config, compiled.Backends, info, _current) { Tls = _tls?.Build(config) };
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
