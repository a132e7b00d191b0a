using System.Collections.Concurrent;
using Gatehouse.Channel;
using Gatehouse.Proxy.Configuration;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// Returns queued results, then <see cref="Inner"/>'s or <see cref="Default"/>; can be told to throw;
/// lets tests await polls.
/// </summary>
internal sealed class FakeBlobSource : IConfigBlobSource
{
    private readonly ConcurrentQueue<ChannelReadResult> _queue = new();
    private readonly Lock _lock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private long _polls;

    public ChannelReadResult Default { get; set; } = new(ChannelReadStatus.NoChange);

    public Exception? Throw { get; set; }

    /// <summary>A real source (the channel file) to poll when nothing is queued.</summary>
    public IConfigBlobSource? Inner { get; init; }

    public TaskCompletionSource Polled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Enqueue(ChannelReadResult result) => _queue.Enqueue(result);

    /// <summary>
    /// Completes when <paramref name="count"/> more polls have started. The watcher polls from one
    /// thread, so once two more have started, whatever was queued before the call has been applied.
    /// </summary>
    public Task WaitForPollsAsync(int count)
    {
        lock (_lock)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_polls + count, done));
            return done.Task;
        }
    }

    public ChannelReadResult Poll()
    {
        Polled.TrySetResult();
        lock (_lock)
        {
            _polls++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= _polls)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (Throw is { } exception)
        {
            throw exception;
        }

        return _queue.TryDequeue(out var result) ? result : Inner?.Poll() ?? Default;
    }

    public void Dispose() => Inner?.Dispose();
}
