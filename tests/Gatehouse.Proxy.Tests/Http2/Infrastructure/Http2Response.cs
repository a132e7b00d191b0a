namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>A response read off one stream by <see cref="RawHttp2Connection.ReadResponseAsync"/>.</summary>
internal sealed record Http2Response(
    int Status,
    IReadOnlyList<(string Name, string Value)> Headers,
    byte[] Body,
    IReadOnlyList<(string Name, string Value)> Trailers,
    IReadOnlyList<Http2Frame> Frames)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.Where(h => h.Name == name).Select(h => h.Value).FirstOrDefault();
}
