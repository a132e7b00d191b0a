namespace Gatehouse.Proxy.Transport;

/// <summary>Something registered with an <see cref="EpollLoop"/>: a socket, a listener.</summary>
internal abstract class EpollHandler
{
    /// <summary>The GCHandle the kernel hands back in each event for this handler; owned by the loop.</summary>
    internal nint Registration;

    /// <summary>Runs on the loop thread for every event the kernel reports for this handler's descriptor.</summary>
    public abstract void OnEvents(uint events);
}
