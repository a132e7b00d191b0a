using System.Buffers;
using System.Runtime.CompilerServices;

namespace Gatehouse.Proxy.Forwarding;

/// <summary>
/// Copies a stream with a pooled buffer, flushing the destination whenever the source has nothing
/// ready. That keeps streaming latency low (a backend's first chunk reaches the client while the rest
/// is still being produced) without a flush per write when data is arriving back to back.
/// </summary>
internal static class StreamCopier
{
    internal const int BufferSize = 64 * 1024;

    /// <param name="activity">When given, its deadline is pushed back by <paramref name="idleTimeout"/> after
    /// every read, turning it into an idle timeout between chunks; its token must be <paramref name="cancellationToken"/>.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> CopyAsync(
        Stream source,
        Stream destination,
        CancellationToken cancellationToken,
        ActivityCancellation? activity = null,
        TimeSpan idleTimeout = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            var pendingFlush = false;
            while (true)
            {
                var read = source.ReadAsync(buffer.AsMemory(), cancellationToken);
                if (pendingFlush && !read.IsCompleted)
                {
                    // The source is waiting for more data: push what we have to the peer now.
                    await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                    pendingFlush = false;
                }

                var count = await read.ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }

                activity?.Arm(idleTimeout);
                await destination.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                total += count;
                pendingFlush = true;
            }

            if (pendingFlush)
            {
                await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
