using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Sources;
using Gatehouse.Model;

namespace Gatehouse.Tests;

/// <summary>Records every publish; can be told to fail.</summary>
internal sealed class RecordingSink : IConfigSink
{
    private readonly Lock _lock = new();
    private readonly List<GatehouseConfig> _published = [];
    private TaskCompletionSource _publishedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Exception? FailWith { get; set; }

    /// <summary>Settable so a test can start from a channel a previous controller wrote to.</summary>
    public long Generation { get; set; }

    public IReadOnlyList<GatehouseConfig> Published
    {
        get
        {
            lock (_lock)
            {
                return [.. _published];
            }
        }
    }

    public long Publish(GatehouseConfig config)
    {
        if (FailWith is { } failure)
        {
            throw failure;
        }

        TaskCompletionSource signal;
        lock (_lock)
        {
            _published.Add(config);
            Generation++;
            signal = _publishedSignal;
            _publishedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.SetResult();
        return Generation;
    }

    /// <summary>Completes when the sink holds at least <paramref name="count"/> publishes.</summary>
    public async Task WaitForPublishesAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (_published.Count >= count)
                {
                    return;
                }

                next = _publishedSignal.Task;
            }

            await next.WaitAsync(cts.Token);
        }
    }
}

/// <summary>A source whose snapshot and sync state the test controls.</summary>
internal sealed class FakeSource(string name = "fake") : IResourceSource
{
    public string Name => name;

    public bool HasSynced { get; set; }

    public bool LastReadComplete { get; set; } = true;

    public ResourceSnapshot Current { get; private set; } = ResourceSnapshot.Empty;

    public bool SyncOnStart { get; init; } = true;

    public bool SettlesChanges { get; init; }

    public event EventHandler<ResourceSnapshot>? Changed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (SyncOnStart)
        {
            HasSynced = true;
            Changed?.Invoke(this, Current);
        }

        return Task.CompletedTask;
    }

    public void Set(ResourceSnapshot snapshot)
    {
        Current = snapshot with { Version = Current.Version + 1 };
        Changed?.Invoke(this, Current);
    }
}
