namespace Gatehouse.Proxy.Tls;

/// <summary>The verdict on a connection's client certificate, under its host's auth-tls-verify-client.</summary>
internal enum ClientCertificateStatus
{
    /// <summary>No certificate, and none was required.</summary>
    None,

    /// <summary>The chain leads to a trusted CA within the allowed depth.</summary>
    Verified,

    /// <summary>Presented under optional_no_ca: accepted without verification.</summary>
    Unverified,

    /// <summary>Required (on) but not presented.</summary>
    Missing,

    /// <summary>Presented but not verifiable against the trusted CAs.</summary>
    Invalid,
}
