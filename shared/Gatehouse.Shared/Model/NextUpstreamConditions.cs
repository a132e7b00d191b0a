namespace Gatehouse.Model;

/// <summary>proxy-next-upstream: when a request may be retried on another endpoint. <see cref="None"/> is "off".</summary>
[Flags]
public enum NextUpstreamConditions : ushort
{
    None = 0,
    Error = 1 << 0,
    Timeout = 1 << 1,
    InvalidHeader = 1 << 2,
    Http500 = 1 << 3,
    Http502 = 1 << 4,
    Http503 = 1 << 5,
    Http504 = 1 << 6,
    Http403 = 1 << 7,
    Http404 = 1 << 8,
    Http429 = 1 << 9,

    /// <summary>Also retry non-idempotent requests (POST, LOCK, PATCH) — nginx's non_idempotent.</summary>
    NonIdempotent = 1 << 10,
}
