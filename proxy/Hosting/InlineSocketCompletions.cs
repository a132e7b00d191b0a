namespace Gatehouse.Proxy.Hosting;

/// <summary>
/// Runs socket completions on the epoll thread that observed them instead of queueing them to the
/// thread pool. For a proxy every request is two socket round trips (client and backend), and each
/// hand-off to the pool costs a wake-up and a context switch; on a small machine those dominate.
/// </summary>
/// <remarks>
/// Safe only because nothing on the request path blocks: no synchronous I/O (Kestrel's
/// AllowSynchronousIO stays off), no locks, backend addresses are IPs (no DNS), and the console logger
/// drops lines instead of waiting when its queue is full. A blocking call here would stall every
/// connection served by that epoll thread.
/// </remarks>
internal static class InlineSocketCompletions
{
    /// <summary>The runtime's switch; read once, when the first socket is created.</summary>
    public const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline completions on unless the environment already decides (e.g. "0" to turn them off).
    /// Must run before the process creates its first socket.</summary>
    public static void EnableUnlessConfigured()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is null)
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, "1");
        }
    }
}
