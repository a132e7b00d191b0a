namespace Gatehouse.Proxy.Forwarding;

/// <summary>Per-process forwarding settings; immutable once the proxy starts.</summary>
internal sealed record ForwarderOptions
{
    /// <summary>How long to wait for the backend's response headers before answering 504.</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP (and TLS) connect timeout towards a backend; expiry answers 502.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle pooled connections are closed after this, below typical backend keep-alive limits.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long SocketsHttpHandler waits for the backend's "100 Continue" before sending the body anyway.
    /// The client's body is only read (and Kestrel only sends its own 100) when the handler sends it.
    /// </summary>
    public TimeSpan Expect100ContinueTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a removed backend's connection pool lives on for requests still using it.</summary>
    public TimeSpan RetiredClientGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Passive health (nginx's max_fails): failed attempts within <see cref="FailTimeout"/> that eject an endpoint; 0 turns ejection off.</summary>
    public int MaxFails { get; init; } = 1;

    /// <summary>Passive health (nginx's fail_timeout): the window failures are counted in, and how long an ejected endpoint sits out.</summary>
    public TimeSpan FailTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
