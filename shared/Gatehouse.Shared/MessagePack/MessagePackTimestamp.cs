namespace Gatehouse.MessagePack;

/// <summary>
/// The msgpack timestamp extension (type -1). Kept as seconds + nanoseconds rather than
/// <see cref="DateTimeOffset"/> because the wire format spans years DateTimeOffset cannot hold.
/// </summary>
public readonly record struct MessagePackTimestamp
{
    public const uint MaxNanoseconds = 999_999_999;

    private const long NanosecondsPerTick = 100;

    public MessagePackTimestamp(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nanoseconds, MaxNanoseconds);
        Seconds = seconds;
        Nanoseconds = nanoseconds;
    }

    /// <summary>Seconds since 1970-01-01T00:00:00Z; may be negative.</summary>
    public long Seconds { get; }

    /// <summary>Always added to <see cref="Seconds"/>, so -0.5s is Seconds=-1, Nanoseconds=500000000.</summary>
    public uint Nanoseconds { get; }

    public static MessagePackTimestamp FromDateTimeOffset(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        // Floor division keeps Nanoseconds non-negative for instants before 1970.
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new MessagePackTimestamp(seconds, (uint)(remainder * NanosecondsPerTick));
    }

    /// <summary>Converts, truncating below 100ns. Throws <see cref="ArgumentOutOfRangeException"/> outside DateTimeOffset's range.</summary>
    public DateTimeOffset ToDateTimeOffset()
    {
        if (!TryToDateTimeOffset(out var value))
        {
            throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, "Timestamp is outside the DateTimeOffset range.");
        }

        return value;
    }

    public bool TryToDateTimeOffset(out DateTimeOffset value)
    {
        const long minSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
        const long maxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
        if (Seconds < minSeconds || Seconds > maxSeconds)
        {
            value = default;
            return false;
        }

        var ticks = DateTimeOffset.UnixEpoch.UtcTicks + (Seconds * TimeSpan.TicksPerSecond) + (Nanoseconds / NanosecondsPerTick);
        value = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    public override string ToString() => $"{Seconds}s+{Nanoseconds}ns";
}
