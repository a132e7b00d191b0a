namespace Gatehouse.Controller.Publishing;

/// <summary>Holds the latest <see cref="ControllerStatus"/>; written by the loop, read by admin requests.</summary>
public sealed class ControllerState
{
    private readonly Lock _lock = new();
    private volatile ControllerStatus _current = ControllerStatus.Initial;

    public ControllerStatus Current => _current;

    public void Update(Func<ControllerStatus, ControllerStatus> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_lock)
        {
            _current = update(_current);
        }
    }
}
