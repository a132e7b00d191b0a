namespace Gatehouse.Proxy.Http2;

/// <summary>
/// What one HTTP/2 client connection may ask of the server. The defaults follow Kestrel's and nginx's
/// where they agree; the flood budgets are the defences against rapid reset (CVE-2023-44487),
/// CONTINUATION floods (CVE-2024-27316 and kin) and SETTINGS/PING/PRIORITY floods.
/// </summary>
public sealed record Http2Limits
{
    /// <summary>SETTINGS_MAX_CONCURRENT_STREAMS. A stream counts until its handler has finished, even when the client reset it.</summary>
    public int MaxConcurrentStreams { get; init; } = 128;

    /// <summary>SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a stream may send before the proxy reads them.</summary>
    public int InitialStreamWindowSize { get; init; } = 768 * 1024;

    /// <summary>The connection's receive window, raised from 65,535 by a WINDOW_UPDATE right after SETTINGS.</summary>
    public int InitialConnectionWindowSize { get; init; } = 1024 * 1024;

    /// <summary>SETTINGS_MAX_FRAME_SIZE the proxy accepts (the protocol's minimum, as nginx and Kestrel use).</summary>
    public int MaxFrameSize { get; init; } = 16 * 1024;

    /// <summary>SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table the client may use.</summary>
    public int HeaderTableSize { get; init; } = 4096;

    /// <summary>SETTINGS_MAX_HEADER_LIST_SIZE: a decoded request header list over this is answered 431.</summary>
    public int MaxHeaderListSize { get; init; } = 64 * 1024;

    /// <summary>A header block (HEADERS and CONTINUATION payloads) over this ends the connection with ENHANCE_YOUR_CALM.</summary>
    public int MaxHeaderBlockSize { get; init; } = 128 * 1024;

    /// <summary>CONTINUATION frames one header block may use before the connection ends with ENHANCE_YOUR_CALM.</summary>
    public int MaxContinuationFrames { get; init; } = 64;

    /// <summary>
    /// Frames that carry no request (SETTINGS, PING, PRIORITY, empty DATA without END_STREAM): a bucket of
    /// this many tokens refilled at <see cref="ControlFramesPerSecond"/>; an empty bucket ends the connection
    /// with ENHANCE_YOUR_CALM.
    /// </summary>
    public int ControlFrameBurst { get; init; } = 1000;

    /// <summary>Refill rate of the control-frame bucket.</summary>
    public int ControlFramesPerSecond { get; init; } = 100;

    /// <summary>
    /// Streams the client resets before their response finished, and streams refused over the concurrency
    /// limit: a bucket of this many tokens refilled at <see cref="ResetsPerSecond"/>; an empty bucket ends the
    /// connection with ENHANCE_YOUR_CALM (rapid reset).
    /// </summary>
    public int ResetBurst { get; init; } = 200;

    /// <summary>Refill rate of the reset bucket.</summary>
    public int ResetsPerSecond { get; init; } = 100;

    /// <summary>A connection with no open stream for this long gets GOAWAY(NO_ERROR) and is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>
    /// A client that holds up what the server sends for this long (not reading, or not opening a stream's
    /// flow-control window) loses the connection (or that stream).
    /// </summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The preface, and a header block once started, must arrive within this.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
