using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using static Gatehouse.Proxy.Transport.Native;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// One thread waiting on one epoll set and running each ready descriptor's handler in place, as an
/// nginx worker does. Sockets are registered edge-triggered for both directions once, so the loop
/// never changes interest masks on the request path, and a handler reads only when the kernel said
/// there is data: no read that is known to fail first.
/// </summary>
/// <remarks>
/// Handlers run on this thread and must not block: everything they resume (Kestrel's request
/// processing, the forwarder) runs here too, exactly as with inline socket completions.
/// </remarks>
internal sealed unsafe class EpollLoop : IDisposable
{
    private const int MaxEvents = 256;

    [ThreadStatic]
    private static EpollLoop? t_current;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly ConcurrentQueue<IEpollWork> _posted = new();
    private readonly List<nint> _releaseAfterBatch = [];
    private readonly List<Action> _atExit = [];

    /// <summary>
    /// Scratch space for large reads, used only on this loop's thread and copied out before anything
    /// else runs: one receive takes what would have been several block-sized ones.
    /// </summary>
    internal byte[] ReceiveBuffer { get; } = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private int _wakePending;
    private volatile bool _stopping;

    public EpollLoop(string name, ILogger logger, int index = 0)
    {
        Index = index;
        _logger = logger;
        _epoll = Check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
        _wake = Check(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd");
        Check(epoll_ctl(_epoll, EPOLL_CTL_ADD, _wake, EPOLLIN, 0), "epoll_ctl");
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    /// <summary>This loop's place in its group (0 for a loop of its own): per-loop state is kept in arrays by it.</summary>
    public int Index { get; }

    /// <summary>The loop whose thread is running the caller, or null on any other thread.</summary>
    public static EpollLoop? Current => t_current;

    public bool IsCurrent => t_current == this;

    /// <summary>Adds a descriptor, edge-triggered for the given events. Any thread.</summary>
    public void Register(EpollHandler handler, int fd, uint events)
    {
        handler.Registration = GCHandle.ToIntPtr(GCHandle.Alloc(handler));
        if (epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, events, (ulong)handler.Registration) < 0)
        {
            var error = LastError;
            GCHandle.FromIntPtr(handler.Registration).Free();
            handler.Registration = 0;
            throw new System.Net.Sockets.SocketException(ErrnoToSocketError(error));
        }
    }

    /// <summary>
    /// Removes a descriptor; loop thread only. Its handle lives until the current batch of events is
    /// done, because a later event in the same batch may still name it.
    /// </summary>
    public void Unregister(EpollHandler handler, int fd)
    {
        if (handler.Registration == 0)
        {
            return;
        }

        epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, 0, 0);
        _releaseAfterBatch.Add(handler.Registration);
        handler.Registration = 0;
    }

    /// <summary>
    /// For a descriptor about to be closed, which leaves the epoll set by itself: frees its handle
    /// after the current batch, like <see cref="Unregister"/>, without the system call. Loop thread only.
    /// </summary>
    public void Forget(EpollHandler handler)
    {
        if (handler.Registration == 0)
        {
            return;
        }

        _releaseAfterBatch.Add(handler.Registration);
        handler.Registration = 0;
    }

    /// <summary>Runs when the loop's thread ends, for state the thread keeps for itself. Loop thread only.</summary>
    public void AtExit(Action action) => _atExit.Add(action);

    /// <summary>Runs the work on the loop thread: now when called there, else soon.</summary>
    public void Run(IEpollWork work)
    {
        if (IsCurrent)
        {
            work.Execute();
        }
        else
        {
            Post(work);
        }
    }

    /// <summary>Queues the work for the loop thread and wakes it if it sleeps.</summary>
    public void Post(IEpollWork work)
    {
        _posted.Enqueue(work);

        // On the loop itself the queue is drained after the current batch: no wake-up needed.
        if (!IsCurrent && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Wake();
        }
    }

    private void Wake()
    {
        ulong one = 1;
        write(_wake, (byte*)&one, sizeof(ulong));
    }

    private void Run()
    {
        t_current = this;
        var events = NativeMemory.Alloc(MaxEvents, (nuint)EpollEventSize);
        try
        {
            while (!_stopping)
            {
                var n = epoll_wait(_epoll, events, MaxEvents, -1);
                if (n < 0)
                {
                    if (LastError == EINTR)
                    {
                        continue;
                    }

                    _logger.LogCritical("epoll_wait failed with errno {Errno}; the event loop {Loop} stops", LastError, _thread.Name);
                    return;
                }

                var woken = false;
                for (var i = 0; i < n; i++)
                {
                    ReadEvent(events, i, out var mask, out var raw);
                    var data = (nint)raw;
                    if (data == 0)
                    {
                        woken = true;
                        continue;
                    }

                    if (GCHandle.FromIntPtr(data).Target is EpollHandler handler)
                    {
                        try
                        {
                            handler.OnEvents(mask);
                        }
                        catch (Exception ex)
                        {
                            _logger.LogError(ex, "An event loop handler failed");
                        }
                    }
                }

                if (woken)
                {
                    ulong value;
                    read(_wake, (byte*)&value, sizeof(ulong));
                    Interlocked.Exchange(ref _wakePending, 0);
                }

                while (_posted.TryDequeue(out var work))
                {
                    try
                    {
                        work.Execute();
                    }
                    catch (Exception ex)
                    {
                        _logger.LogError(ex, "Work posted to the event loop failed");
                    }
                }

                foreach (var registration in _releaseAfterBatch)
                {
                    GCHandle.FromIntPtr(registration).Free();
                }

                _releaseAfterBatch.Clear();
            }
        }
        finally
        {
            NativeMemory.Free(events);
            foreach (var action in _atExit)
            {
                action();
            }

            t_current = null;
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        Wake();
        if (!IsCurrent)
        {
            _thread.Join();
        }

        close(_wake);
        close(_epoll);
    }
}
