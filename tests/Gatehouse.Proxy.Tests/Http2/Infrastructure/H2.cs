namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>
/// RFC 9113 wire constants, spelled out in the tests so that a wrong value in the server's own enums
/// cannot make a wrong answer look right.
/// </summary>
internal static class H2
{
    public const string Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    public const int DefaultMaxFrameSize = 16384;

    public const int DefaultWindow = 65535;

    public const int MaxWindow = int.MaxValue;

    // Frame types (section 6).
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte Priority = 0x2;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte PushPromise = 0x5;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;
    public const byte WindowUpdate = 0x8;
    public const byte Continuation = 0x9;

    // Flags.
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte PriorityFlag = 0x20;

    // Settings (section 6.5.2).
    public const ushort HeaderTableSize = 0x1;
    public const ushort EnablePush = 0x2;
    public const ushort MaxConcurrentStreams = 0x3;
    public const ushort InitialWindowSize = 0x4;
    public const ushort MaxFrameSize = 0x5;
    public const ushort MaxHeaderListSize = 0x6;

    // Error codes (section 7).
    public const uint NoError = 0x0;
    public const uint ProtocolError = 0x1;
    public const uint InternalError = 0x2;
    public const uint FlowControlError = 0x3;
    public const uint StreamClosed = 0x5;
    public const uint FrameSizeError = 0x6;
    public const uint RefusedStream = 0x7;
    public const uint Cancel = 0x8;
    public const uint CompressionError = 0x9;
    public const uint EnhanceYourCalm = 0xb;

    public static string ErrorName(uint code) => code switch
    {
        NoError => "NO_ERROR",
        ProtocolError => "PROTOCOL_ERROR",
        InternalError => "INTERNAL_ERROR",
        FlowControlError => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        StreamClosed => "STREAM_CLOSED",
        FrameSizeError => "FRAME_SIZE_ERROR",
        RefusedStream => "REFUSED_STREAM",
        Cancel => "CANCEL",
        CompressionError => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        EnhanceYourCalm => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => $"0x{code:x}",
    };

    public static string TypeName(byte type) => type switch
    {
        Data => "DATA",
        Headers => "HEADERS",
        Priority => "PRIORITY",
        RstStream => "RST_STREAM",
        Settings => "SETTINGS",
        PushPromise => "PUSH_PROMISE",
        Ping => "PING",
        GoAway => "GOAWAY",
        WindowUpdate => "WINDOW_UPDATE",
        Continuation => "CONTINUATION",
        _ => $"0x{type:x2}",
    };
}
