using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// 4 KiB blocks allocated pinned and reused, for the transport's pipes: the kernel reads into and
/// writes from them by address, so a gathered write needs no pinning per call.
/// </summary>
internal sealed class PinnedBlockPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    // Blocks kept for reuse beyond what is in use; more are collected once returned.
    private const int MaxRetained = 8192;

    // Blocks an event loop returned and takes back first (see LoopLocalStack): 64 x 4 KiB per loop.
    private const int LoopCacheSize = 64;

    [ThreadStatic]
    private static LoopLocalStack<Block>? t_loopBlocks;

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly Action<Block> _returnShared;
    private int _freeCount;

    private PinnedBlockPool() => _returnShared = ReturnShared;

    public static PinnedBlockPool Instance { get; } = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (t_loopBlocks is { } cache && cache.TryPop(out var block))
        {
            return block;
        }

        if (_free.TryDequeue(out block))
        {
            Interlocked.Decrement(ref _freeCount);
            return block;
        }

        return new Block(this);
    }

    private void Return(Block block)
    {
        if ((t_loopBlocks ??= LoopLocalStack<Block>.ForCurrentLoop(LoopCacheSize, _returnShared)) is { } cache && cache.TryPush(block))
        {
            return;
        }

        ReturnShared(block);
    }

    private void ReturnShared(Block block)
    {
        if (Interlocked.Increment(ref _freeCount) <= MaxRetained)
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed unsafe class Block(PinnedBlockPool pool) : MemoryManager<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public override Span<byte> GetSpan() => _array;

        public override Memory<byte> Memory => CreateMemory(BlockSize);

        public override MemoryHandle Pin(int elementIndex = 0) =>
            new((byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_array, elementIndex));

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => pool.Return(this);
    }
}
