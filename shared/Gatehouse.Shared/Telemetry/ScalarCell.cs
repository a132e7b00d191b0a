namespace Gatehouse.Telemetry;

/// <summary>
/// One label set's value for counters and gauges. Integer instruments use <see cref="Long"/> so large
/// counts stay exact; floating-point ones use <see cref="Double"/>.
/// </summary>
internal sealed class ScalarCell
{
    private long _long;
    private double _double;

    public long Long => Interlocked.Read(ref _long);

    public double Double => Volatile.Read(ref _double);

    public void Add(long value) => Interlocked.Add(ref _long, value);

    public void Add(double value) => AddDouble(ref _double, value);

    public void Set(long value) => Interlocked.Exchange(ref _long, value);

    public void Set(double value) => Interlocked.Exchange(ref _double, value);

    /// <summary>Interlocked has no double add; a compare-exchange loop gives the same lock-free result.</summary>
    public static void AddDouble(ref double location, double value)
    {
        var current = Volatile.Read(ref location);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref location, current + value, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }
}
