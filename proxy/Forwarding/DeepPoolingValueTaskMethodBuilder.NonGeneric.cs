using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// <see cref="DeepPoolingValueTaskMethodBuilder{TResult}"/> for methods returning a plain
/// <see cref="ValueTask"/>: the same per-thread stacks of boxes, the box handed out through its
/// non-generic face.
/// </summary>
/// <remarks>
/// The request handler finishes every forwarded request after an await (the backend answers later),
/// so as an <c>async Task</c> it allocated a box per request, the last allocation a keep-alive request
/// made. Its servers await a ValueTask instead, and this builder lends the box.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct DeepPoolingValueTaskMethodBuilder
{
    private DeepPoolingValueTaskMethodBuilder<bool> _inner;

    public static DeepPoolingValueTaskMethodBuilder Create() => default;

    public ValueTask Task
    {
        get
        {
            if (_inner.Box is { } box)
            {
                return new ValueTask(box, box.Version);
            }

            return _inner.InlineException is { } exception ? ValueTask.FromException(exception) : default;
        }
    }

    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
        => _inner.Start(ref stateMachine);

    public void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult() => _inner.SetResult(true);

    public void SetException(Exception exception) => _inner.SetException(exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => _inner.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => _inner.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}
