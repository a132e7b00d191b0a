namespace Gatehouse.Tests.Channel;

/// <summary>A clock whose wall time stands still, so written-at values are predictable.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
