using Gatehouse.Proxy.Transport;

namespace Gatehouse.Proxy.Tests.Transport;

/// <summary>Runs a piece of a test on an event loop's thread, where loop-only behaviour applies.</summary>
internal static class OnLoop
{
    public static Task<T> RunAsync<T>(EpollLoop loop, Func<T> body)
    {
        var work = new Work<T>(body);
        loop.Post(work);
        return work.Result.Task;
    }

    private sealed class Work<T>(Func<T> body) : IEpollWork
    {
        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            try
            {
                Result.SetResult(body());
            }
            catch (Exception ex)
            {
                Result.SetException(ex);
            }
        }
    }
}
