namespace Gatehouse.Tests.FakeApiServer;

/// <summary>One request the fake API server received, as a client sent it.</summary>
internal sealed record FakeRequest(string Method, string Path, bool Watch, string Authorization, string? ContentType, string Body);
