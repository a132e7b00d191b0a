namespace Gatehouse.Proxy.Transport;

/// <summary>Work another thread hands to an <see cref="EpollLoop"/> to run on the loop thread.</summary>
internal interface IEpollWork
{
    void Execute();
}
