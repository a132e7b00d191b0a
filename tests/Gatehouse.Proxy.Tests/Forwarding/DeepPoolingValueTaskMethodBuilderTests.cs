using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Gatehouse.Proxy.Forwarding;

namespace Gatehouse.Proxy.Tests.Forwarding;

/// <summary>
/// The forwarder's async method builder: results, exceptions and the execution context behave as with
/// the runtime's builders, and finished boxes are reused even when many calls are pending at once.
/// Each test returns its own result type, so the per-type box counters see no other test.
/// </summary>
public sealed class DeepPoolingValueTaskMethodBuilderTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public void A_method_that_never_waits_returns_its_result_without_a_box()
    {
        var before = DeepPoolingValueTaskMethodBuilder<Synchronous>.BoxesCreated;

        var result = Immediately(new Synchronous(7));

        Assert.True(result.IsCompletedSuccessfully);
        Assert.Equal(7, result.Result.Value);
        Assert.Equal(before, DeepPoolingValueTaskMethodBuilder<Synchronous>.BoxesCreated);
        var failed = ImmediatelyFailing();
        Assert.True(failed.IsFaulted);
        Assert.Equal("at once", Assert.Throws<InvalidOperationException>(() => failed.Result).Message);
    }

    [Fact]
    public async Task Results_and_exceptions_arrive_after_a_wait()
    {
        var gate = new Gate();
        var pending = AfterGate(gate, 41);
        Assert.False(pending.IsCompleted);
        gate.Open();
        Assert.Equal(42, (await pending).Value);

        var failing = new Gate();
        var faulted = AfterGateFailing(failing);
        failing.Open();
        Assert.Equal("after the wait", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await faulted)).Message);
    }

    [Fact]
    public void Boxes_of_finished_calls_are_reused_even_with_fifty_pending_at_once()
    {
        var created = DeepPoolingValueTaskMethodBuilder<Pooled>.BoxesCreated;
        for (var round = 0; round < 3; round++)
        {
            var gates = Enumerable.Range(0, 50).Select(_ => new Gate()).ToArray();
            var pending = gates.Select((gate, i) => PooledAfterGate(gate, i)).ToArray();
            foreach (var gate in gates)
            {
                gate.Open(); // the continuation runs here, on this thread, and finishes the call
            }

            for (var i = 0; i < pending.Length; i++)
            {
                Assert.Equal(i, pending[i].Result.Value); // reading the result returns the box to this thread's pool
            }

            // The first round makes one box per pending call; later rounds reuse them (the runtime's
            // pooling builder keeps one per thread and one per core, and made 48 or so every round).
            Assert.Equal(created + 50, DeepPoolingValueTaskMethodBuilder<Pooled>.BoxesCreated);
        }
    }

    [Fact]
    public async Task The_execution_context_flows_into_the_method_and_its_changes_stay_inside()
    {
        var gate = new Gate();
        Ambient.Value = "caller";
        var pending = SeesAmbient(gate);
        Ambient.Value = "changed by the caller later";

        // Opened from a thread with a context of its own: the method still sees its caller's.
        await Task.Run(() =>
        {
            Ambient.Value = "the opener's";
            gate.Open();
        });

        var seen = await pending;
        Assert.Equal("caller", seen.Before);
        Assert.Equal("caller", seen.After);
        Assert.Equal("changed by the caller later", Ambient.Value);
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<Synchronous> Immediately(Synchronous value)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        return value;
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<Synchronous> ImmediatelyFailing()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        throw new InvalidOperationException("at once");
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<Waited> AfterGate(Gate gate, int value)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        return new Waited(value + 1);
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<Waited> AfterGateFailing(Gate gate)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        throw new InvalidOperationException("after the wait");
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<Pooled> PooledAfterGate(Gate gate, int value)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        return new Pooled(value);
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<Ambience> SeesAmbient(Gate gate)
    {
        var before = Ambient.Value;
        await gate.WaitAsync().ConfigureAwait(false);
        var after = Ambient.Value;
        Ambient.Value = "set inside";
        return new Ambience(before, after);
    }

    private readonly record struct Synchronous(int Value);

    private readonly record struct Waited(int Value);

    private readonly record struct Pooled(int Value);

    private readonly record struct Ambience(string? Before, string? After);

    /// <summary>A wait that completes when opened, running its continuation on the opening thread.</summary>
    private sealed class Gate : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _source;

        public ValueTask WaitAsync() => new(this, _source.Version);

        public void Open() => _source.SetResult(true);

        public void GetResult(short token) => _source.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _source.OnCompleted(continuation, state, token, flags);
    }
}
