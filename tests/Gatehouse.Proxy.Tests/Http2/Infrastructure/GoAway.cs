namespace Gatehouse.Tests.Http2.Infrastructure;

/// <summary>A GOAWAY frame's content.</summary>
internal readonly record struct GoAway(int LastStreamId, uint ErrorCode)
{
    public override string ToString() => $"GOAWAY(last stream {LastStreamId}, {H2.ErrorName(ErrorCode)})";
}
