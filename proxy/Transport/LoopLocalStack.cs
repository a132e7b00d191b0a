using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Proxy.Transport;

/// <summary>
/// A few pooled objects an event loop keeps for itself, in front of a pool every thread shares.
/// With more than one loop, a shared pool's queue and counters are written from every core on every
/// request, and their cache lines move between cores each time; a loop that takes back what it
/// returned touches only its own memory, and gets the object it touched last. Owners hold one in a
/// thread-static field (<see cref="ForCurrentLoop"/> gives none to other threads, such as the thread
/// pool under HTTP/2, which keep using the shared pool). Not thread-safe: one loop thread only.
/// </summary>
internal sealed class LoopLocalStack<T>
    where T : class
{
    private readonly T?[] _items;
    private int _count;

    private LoopLocalStack(int capacity) => _items = new T?[capacity];

    /// <summary>
    /// A stack for the calling thread if it is an event loop, else null. When the loop ends, what the
    /// stack still holds goes to <paramref name="release"/> (back to the shared pool, or retired).
    /// </summary>
    public static LoopLocalStack<T>? ForCurrentLoop(int capacity, Action<T> release)
    {
        if (EpollLoop.Current is not { } loop)
        {
            return null;
        }

        var stack = new LoopLocalStack<T>(capacity);
        loop.AtExit(() =>
        {
            while (stack.TryPop(out var item))
            {
                release(item);
            }
        });
        return stack;
    }

    public bool TryPop([NotNullWhen(true)] out T? item)
    {
        var count = _count;
        if (count == 0)
        {
            item = null;
            return false;
        }

        _count = --count;
        item = _items[count]!;
        _items[count] = null;
        return true;
    }

    /// <summary>Keeps the item unless the stack is full (then the caller returns it to the shared pool).</summary>
    public bool TryPush(T item)
    {
        var count = _count;
        if (count == _items.Length)
        {
            return false;
        }

        _items[count] = item;
        _count = count + 1;
        return true;
    }
}
