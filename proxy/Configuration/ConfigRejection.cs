namespace Gatehouse.Proxy.Configuration;

/// <summary>Why a published config was not applied; the last good table stays in service.</summary>
internal sealed record ConfigRejection(string Reason, string? Detail, DateTimeOffset At);
