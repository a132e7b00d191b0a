namespace Gatehouse.Proxy.Http2;

/// <summary>The RFC 9113 names of the error codes, as metric labels and log text use them.</summary>
internal static class Http2ErrorNames
{
    public static string Of(Http2ErrorCode code) => code switch
    {
        Http2ErrorCode.NoError => "NO_ERROR",
        Http2ErrorCode.ProtocolError => "PROTOCOL_ERROR",
        Http2ErrorCode.InternalError => "INTERNAL_ERROR",
        Http2ErrorCode.FlowControlError => "FLOW_CONTROL_ERROR",
        Http2ErrorCode.SettingsTimeout => "SETTINGS_TIMEOUT",
        Http2ErrorCode.StreamClosed => "STREAM_CLOSED",
        Http2ErrorCode.FrameSizeError => "FRAME_SIZE_ERROR",
        Http2ErrorCode.RefusedStream => "REFUSED_STREAM",
        Http2ErrorCode.Cancel => "CANCEL",
        Http2ErrorCode.CompressionError => "COMPRESSION_ERROR",
        Http2ErrorCode.ConnectError => "CONNECT_ERROR",
        Http2ErrorCode.EnhanceYourCalm => "ENHANCE_YOUR_CALM",
        Http2ErrorCode.InadequateSecurity => "INADEQUATE_SECURITY",
        Http2ErrorCode.Http11Required => "HTTP_1_1_REQUIRED",
        _ => "UNKNOWN",
    };
}
