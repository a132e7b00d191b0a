namespace Gatehouse.Channel;

/// <summary>
/// Sequence-lock primitives over a 64-bit word in the mapped file. An odd value means a write is
/// in progress; readers take a snapshot only if the value was even and unchanged around it.
/// </summary>
internal static unsafe class SeqLock
{
    /// <summary>
    /// Makes the sequence odd and returns that value. The interlocked exchange is a full fence, so
    /// no store of the protected data can become visible before the odd sequence does. Starting from
    /// whatever is there (possibly odd, if a previous writer died mid-write) keeps the value
    /// strictly increasing, which readers rely on to notice the change.
    /// </summary>
    public static ulong BeginWrite(ulong* sequence)
    {
        var odd = (Volatile.Read(ref *sequence) + 1) | 1;
        Interlocked.Exchange(ref *sequence, odd);
        return odd;
    }

    /// <summary>Publishes the even sequence with release semantics: all data stores precede it.</summary>
    public static void EndWrite(ulong* sequence, ulong odd) => Volatile.Write(ref *sequence, odd + 1);

    /// <summary>Acquire-reads the sequence before reading the protected data.</summary>
    public static ulong ReadBegin(ulong* sequence) => Volatile.Read(ref *sequence);

    /// <summary>
    /// True when the data read since <see cref="ReadBegin"/> is a consistent snapshot. The full
    /// fence stops the data loads from being satisfied after the second sequence load.
    /// </summary>
    public static bool ReadValidate(ulong* sequence, ulong begin)
    {
        Interlocked.MemoryBarrier();
        return (begin & 1) == 0 && Volatile.Read(ref *sequence) == begin;
    }
}
