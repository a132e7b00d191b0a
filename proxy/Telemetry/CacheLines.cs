using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// Starting the fetch of counter lines before writing them. Interlocked operations wait for their
/// line one after another; a series that has gone cold (traffic spread over many hosts) would pay
/// each miss in turn. Prefetched first, the misses overlap.
/// </summary>
internal static class CacheLines
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref long cell)
    {
        // The address is not pinned: if a GC moves the array in between, the hint goes to a stale
        // address, which a prefetch tolerates (it never faults) and costs only the hint.
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref cell));
        }
    }
}
