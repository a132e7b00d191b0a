using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Gatehouse.Proxy.Forwarding;

namespace Gatehouse.Proxy.Tests.Forwarding;

/// <summary>
/// The builder for methods returning a plain ValueTask (the request handler's): completion, failures
/// and the execution context behave as with the runtime's builders, and a thread that finishes what
/// it started reuses its boxes instead of allocating one per call.
/// </summary>
public sealed class DeepPoolingNonGenericBuilderTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public void A_method_that_never_waits_completes_inline_and_allocates_nothing()
    {
        Inline().GetAwaiter().GetResult(); // JIT and type loading allocate on the first call
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Inline();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(result.IsCompletedSuccessfully);
        Assert.Equal(0, allocated);
        var failed = InlineFailing();
        Assert.True(failed.IsFaulted);
        Assert.Equal("at once", Assert.Throws<InvalidOperationException>(() => failed.GetAwaiter().GetResult()).Message);
    }

    [Fact]
    public async Task Completion_and_exceptions_arrive_after_a_wait()
    {
        var gate = new Gate();
        var pending = AfterGate(gate);
        Assert.False(pending.IsCompleted);
        gate.Open();
        await pending;

        var failing = new Gate();
        var faulted = AfterGateFailing(failing);
        Assert.False(faulted.IsCompleted);
        failing.Open();
        Assert.Equal("after the wait", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await faulted)).Message);
    }

    [Fact]
    public void Fifty_pending_calls_at_once_reuse_their_boxes_on_the_next_rounds()
    {
        var gates = new Gate[50];
        for (var i = 0; i < gates.Length; i++)
        {
            gates[i] = new Gate();
        }

        var pending = new ValueTask[gates.Length];
        RunRound(gates, pending); // the first round makes the boxes
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunRound(gates, pending);
        RunRound(gates, pending);

        // The runtime's pooling builder keeps one box per thread and one per core: it allocated 48 or
        // so a round here, as an async Task method allocates one per call.
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task The_execution_context_flows_into_the_method_and_its_changes_stay_inside()
    {
        var gate = new Gate();
        Ambient.Value = "caller";
        var seen = new string?[2];
        var pending = SeesAmbient(gate, seen);
        Ambient.Value = "changed by the caller later";

        // Opened from a thread with a context of its own: the method still sees its caller's.
        await Task.Run(() =>
        {
            Ambient.Value = "the opener's";
            gate.Open();
        });

        await pending;
        Assert.Equal("caller", seen[0]);
        Assert.Equal("caller", seen[1]);
        Assert.Equal("changed by the caller later", Ambient.Value);
    }

    private static void RunRound(Gate[] gates, ValueTask[] pending)
    {
        for (var i = 0; i < gates.Length; i++)
        {
            pending[i] = AfterGate(gates[i]);
        }

        foreach (var gate in gates)
        {
            gate.Open(); // the continuation runs here, on this thread, and finishes the call
        }

        foreach (var call in pending)
        {
            Assert.True(call.IsCompletedSuccessfully);
            call.GetAwaiter().GetResult(); // reading the result gives the box back to this thread
        }
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder))]
    private static async ValueTask Inline() => await Task.CompletedTask.ConfigureAwait(false);

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder))]
    private static async ValueTask InlineFailing()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        throw new InvalidOperationException("at once");
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder))]
    private static async ValueTask AfterGate(Gate gate) => await gate.WaitAsync().ConfigureAwait(false);

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder))]
    private static async ValueTask AfterGateFailing(Gate gate)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        throw new InvalidOperationException("after the wait");
    }

    [AsyncMethodBuilder(typeof(DeepPoolingValueTaskMethodBuilder))]
    private static async ValueTask SeesAmbient(Gate gate, string?[] seen)
    {
        seen[0] = Ambient.Value;
        await gate.WaitAsync().ConfigureAwait(false);
        seen[1] = Ambient.Value;
        Ambient.Value = "set inside";
    }

    /// <summary>A wait that completes when opened, running its continuation on the opening thread; reusable once read.</summary>
    private sealed class Gate : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _source;

        public ValueTask WaitAsync() => new(this, _source.Version);

        public void Open() => _source.SetResult(true);

        public void GetResult(short token)
        {
            _source.GetResult(token);
            _source.Reset();
        }

        public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _source.OnCompleted(continuation, state, token, flags);
    }
}
