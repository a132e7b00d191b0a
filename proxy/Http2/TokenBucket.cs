namespace Gatehouse.Proxy.Http2;

/// <summary>
/// A flood budget: <c>burst</c> tokens, refilled at <c>perSecond</c>. Used by one connection's read loop
/// only, so it needs no synchronisation.
/// </summary>
internal struct TokenBucket
{
    private readonly int _burst;
    private readonly int _perSecond;
    private double _tokens;
    private long _refilledAt;

    public TokenBucket(int burst, int perSecond)
    {
        _burst = burst;
        _perSecond = perSecond;
        _tokens = burst;
        _refilledAt = Environment.TickCount64;
    }

    /// <summary>Takes one token; false when the bucket is empty.</summary>
    public bool TryTake()
    {
        if (_tokens >= 1)
        {
            _tokens--;
            return true;
        }

        var now = Environment.TickCount64;
        var elapsed = now - _refilledAt;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_burst, _tokens + (elapsed * _perSecond / 1000.0));
            _refilledAt = now;
        }

        if (_tokens >= 1)
        {
            _tokens--;
            return true;
        }

        return false;
    }
}
