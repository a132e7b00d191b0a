using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// An async method builder for <see cref="ValueTask{TResult}"/> methods that keeps up to
/// <see cref="PoolDepth"/> finished state machine boxes per thread for reuse.
/// </summary>
/// <remarks>
/// The runtime's <see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/> keeps one box per thread
/// and one per core. A proxy has one forward in flight per connection, so with 50 connections waiting
/// on their backends at once nearly every request missed that pool and allocated a box (about 390 B,
/// two thirds of what a keep-alive request allocated). Boxes are taken and given back on the loop
/// thread, so a thread-local stack serves them without locks. A method that completes without
/// awaiting never touches a box.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct DeepPoolingValueTaskMethodBuilder<TResult>
{
    /// <summary>Boxes kept per thread and per state machine type.</summary>
    public const int PoolDepth = 256;

    private static long s_boxesCreated;

    private StateMachineBox? _box;
    private TResult _result;
    private Exception? _exception;

    /// <summary>The box once the method has awaited something unfinished, else null (it completed inline).</summary>
    internal readonly StateMachineBox? Box => _box;

    /// <summary>The exception the method ended with while still inline, else null.</summary>
    internal readonly Exception? InlineException => _exception;

    /// <summary>Boxes made so far for methods returning <typeparamref name="TResult"/> (the pool missed).</summary>
    internal static long BoxesCreated => Volatile.Read(ref s_boxesCreated);

    public static DeepPoolingValueTaskMethodBuilder<TResult> Create() => default;

    public ValueTask<TResult> Task
    {
        get
        {
            if (_box is { } box)
            {
                return new ValueTask<TResult>(box, box.Version);
            }

            return _exception is null ? new ValueTask<TResult>(_result) : ValueTask.FromException<TResult>(_exception);
        }
    }

    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
        // The runtime's Start restores the caller's execution and synchronization contexts afterwards.
        => default(AsyncValueTaskMethodBuilder<TResult>).Start(ref stateMachine);

    public void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult(TResult result)
    {
        if (_box is { } box)
        {
            box.SetResult(result);
        }
        else
        {
            _result = result;
        }
    }

    public void SetException(Exception exception)
    {
        if (_box is { } box)
        {
            box.SetException(exception);
        }
        else
        {
            _exception = exception;
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => awaiter.OnCompleted(GetBox(ref stateMachine).MoveNextAction);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => awaiter.UnsafeOnCompleted(GetBox(ref stateMachine).MoveNextAction);

    private StateMachineBox GetBox<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        // Every await captures the context anew, as the runtime's builders do.
        var context = ExecutionContext.Capture();
        if (_box is StateMachineBox<TStateMachine> existing)
        {
            existing.Context = context;
            return existing;
        }

        // First await: this builder lives inside the state machine, so the box is set here before
        // the state machine is copied into it, and the copy's builder points at the box too.
        var box = StateMachineBox<TStateMachine>.Rent();
        _box = box;
        box.StateMachine = stateMachine;
        box.Context = context;
        return box;
    }

    internal abstract class StateMachineBox : IValueTaskSource<TResult>, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<TResult> _source;

        public short Version => _source.Version;

        public abstract Action MoveNextAction { get; }

        public void SetResult(TResult result) => _source.SetResult(result);

        public void SetException(Exception exception) => _source.SetException(exception);

        public TResult GetResult(short token)
        {
            try
            {
                return _source.GetResult(token);
            }
            finally
            {
                // The awaiter has its result: nothing refers to this box any more.
                _source.Reset();
                Return();
            }
        }

        // A ValueTask (no result) over the same box: the non-generic builder's.
        void IValueTaskSource.GetResult(short token) => GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _source.OnCompleted(continuation, state, token, flags);

        protected abstract void Return();
    }

    private sealed class StateMachineBox<TStateMachine> : StateMachineBox
        where TStateMachine : IAsyncStateMachine
    {
        private static readonly ContextCallback s_moveNext = static box => ((StateMachineBox<TStateMachine>)box!).StateMachine!.MoveNext();

        [ThreadStatic]
        private static Stack<StateMachineBox<TStateMachine>>? t_pool;

        private readonly Action _moveNext;

        private StateMachineBox()
        {
            Interlocked.Increment(ref s_boxesCreated);
            _moveNext = MoveNext;
        }

        public TStateMachine? StateMachine;

        public ExecutionContext? Context;

        public override Action MoveNextAction => _moveNext;

        public static StateMachineBox<TStateMachine> Rent()
            => t_pool is { Count: > 0 } pool ? pool.Pop() : new StateMachineBox<TStateMachine>();

        protected override void Return()
        {
            StateMachine = default;
            Context = null;
            var pool = t_pool ??= new Stack<StateMachineBox<TStateMachine>>();
            if (pool.Count < PoolDepth)
            {
                pool.Push(this);
            }
        }

        private void MoveNext()
        {
            if (Context is { } context)
            {
                ExecutionContext.Run(context, s_moveNext, this);
            }
            else
            {
                StateMachine!.MoveNext();
            }
        }
    }
}
