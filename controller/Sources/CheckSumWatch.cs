namespace Gatehouse.Controller.Sources;

/// <summary>Which checksum resources the API source watches, and in which group (gatehouse.io, or tengine.taobao.org while migrating).</summary>
public sealed record CheckSumWatch(string Group, bool Ingresses, bool Secrets);
