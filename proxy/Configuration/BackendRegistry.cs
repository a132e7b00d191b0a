using Gatehouse.Model;
using Gatehouse.Proxy.Balancing;
using Gatehouse.Proxy.Forwarding;
using Gatehouse.Proxy.Routing;
using Gatehouse.Proxy.Tls;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Proxy.Configuration;

/// <summary>
/// Compiles a config's backends, carrying each backend's <see cref="BackendClient"/> (its connection
/// pool) and round-robin cursor over from the previous generation when the name and protocol are
/// unchanged; endpoints always come from the new config. Clients no longer referenced are retired and
/// disposed after a grace period, once no request holds them. Used only by the (serialized) apply path.
/// </summary>
internal sealed partial class BackendRegistry : IDisposable
{
    private readonly ForwarderOptions _options;
    private readonly ILogger _logger;
    private Dictionary<string, (BackendClient Client, RoundRobin Cursor)> _live = new(StringComparer.Ordinal);
    private bool _disposed;
    private readonly PassiveHealth _health;

    // Each live backend's endpoint states by address, carried into the next generation's backends.
    private Dictionary<string, IReadOnlyDictionary<string, EndpointState>> _liveStates = new(StringComparer.Ordinal);

    // The serving generation's compiled backends, reused by the next generation when unchanged.
    private IReadOnlyDictionary<string, Backend> _liveBackends = new Dictionary<string, Backend>(StringComparer.Ordinal);

    // Which backend TLS settings each pool was built with (see BackendTlsSettings): a change needs a new pool.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<BackendClient, string> _tlsKeys = [];

    public BackendRegistry(ForwarderOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _health = new PassiveHealth(options.MaxFails, options.FailTimeout, logger);
    }

    /// <summary>Number of clients disposed so far (diagnostics and tests).</summary>
    public int DisposedClients => Volatile.Read(ref _disposedClients);

    private int _disposedClients;

    /// <summary>
    /// Builds the backends of <paramref name="config"/>, including empty placeholders for names that
    /// routes reference but the config does not define (they answer 503). Nothing changes until
    /// <see cref="Commit"/>: if the route table cannot be built, <see cref="Abandon"/> drops the new
    /// clients and the serving generation keeps its own.
    /// </summary>
    public CompiledBackends Compile(GatehouseConfig config)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var next = new Dictionary<string, (BackendClient Client, RoundRobin Cursor)>(StringComparer.Ordinal);
        var backends = new Dictionary<string, Backend>(StringComparer.Ordinal);
        var backendTls = BackendTlsSettings.ForBackends(config);

        foreach (var backend in config.Backends)
        {
            Add(backend);
        }

        foreach (var host in config.Hosts)
        {
            foreach (var route in host.Routes)
            {
                AddMissing(route.Backend);
                foreach (var canary in route.Canaries)
                {
                    AddMissing(canary.Backend);
                }
            }
        }

        if (config.DefaultBackend is { } defaultBackend)
        {
            AddMissing(defaultBackend);
        }

        return new CompiledBackends(backends, next);

        void AddMissing(string name)
        {
            if (!backends.ContainsKey(name))
            {
                Add(new BackendConfig { Name = name });
            }
        }

        void Add(BackendConfig backend)
        {
            if (backends.ContainsKey(backend.Name))
            {
                return;
            }

            (BackendClient, RoundRobin) entry;
            var tls = backend.Protocol is BackendProtocol.Https or BackendProtocol.Grpcs ? backendTls.GetValueOrDefault(backend.Name) : null;
            var tlsKey = tls?.Key ?? "";
            if (_live.TryGetValue(backend.Name, out var existing) && existing.Client.Protocol == backend.Protocol
                && (_tlsKeys.TryGetValue(existing.Client, out var existingKey) ? existingKey : "") == tlsKey)
            {
                entry = existing;
            }
            else
            {
                entry = (new BackendClient(backend.Name, backend.Protocol, _options), new RoundRobin());
                if (tls is not null)
                {
                    entry.Item1.UseTls(tls);
                    _tlsKeys.Add(entry.Item1, tlsKey);
                }
            }

            next[backend.Name] = entry;

            // The same decoded config on the same client is the same backend: keeping the instance lets
            // the route table keep the compiled hosts that point at it.
            backends[backend.Name] = _liveBackends.TryGetValue(backend.Name, out var live) && ReferenceEquals(live.Config, backend) && ReferenceEquals(live.Client, entry.Item1)
                ? live
                : new Backend(backend, entry.Item1, entry.Item2, _liveStates.GetValueOrDefault(backend.Name), _health);
        }
    }

    /// <summary>Makes <paramref name="compiled"/> the live set; clients it no longer uses are retired.</summary>
    public void Commit(CompiledBackends compiled)
    {
        foreach (var (name, entry) in _live)
        {
            if (!compiled.Clients.TryGetValue(name, out var kept) || !ReferenceEquals(kept.Client, entry.Client))
            {
                Retire(entry.Client);
            }
        }

        _live = compiled.Clients;
        _liveBackends = compiled.Backends;
        var states = new Dictionary<string, IReadOnlyDictionary<string, EndpointState>>(compiled.Backends.Count, StringComparer.Ordinal);
        foreach (var (name, backend) in compiled.Backends)
        {
            states[name] = backend.States;
        }

        _liveStates = states;
    }

    /// <summary>Disposes the clients <paramref name="compiled"/> created that the live set does not share.</summary>
    public void Abandon(CompiledBackends compiled)
    {
        foreach (var (name, entry) in compiled.Clients)
        {
            if (!_live.TryGetValue(name, out var live) || !ReferenceEquals(live.Client, entry.Client))
            {
                entry.Client.Dispose();
            }
        }
    }

    private void Retire(BackendClient client)
    {
        client.Retire();
        LogRetired(_logger, client.Name);
        _ = DisposeWhenIdleAsync(client);
    }

    private async Task DisposeWhenIdleAsync(BackendClient client)
    {
        // A request that read the previous table may still be about to lease this client; the grace
        // period covers that window, the lease count covers long-running requests and tunnels.
        await Task.Delay(_options.RetiredClientGracePeriod).ConfigureAwait(false);
        while (client.ActiveLeases > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }

        client.Dispose();
        Interlocked.Increment(ref _disposedClients);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var entry in _live.Values)
        {
            entry.Client.Dispose();
        }

        _live.Clear();
    }

    /// <summary>The outcome of <see cref="Compile"/>, to be committed or abandoned.</summary>
    internal sealed class CompiledBackends(
        Dictionary<string, Backend> backends,
        Dictionary<string, (BackendClient Client, RoundRobin Cursor)> clients)
    {
        public Dictionary<string, Backend> Backends { get; } = backends;

        public Dictionary<string, (BackendClient Client, RoundRobin Cursor)> Clients { get; } = clients;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {Backend} removed; its connection pool will be disposed when idle")]
    private static partial void LogRetired(ILogger logger, string backend);
}
