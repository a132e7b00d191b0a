using System.IO.MemoryMappedFiles;

namespace Gatehouse.Channel;

/// <summary>
/// A view of the first <see cref="Length"/> bytes of a file with a stable pointer to it. Callers
/// must never touch bytes at or beyond the file's current size: on Linux that raises SIGBUS,
/// which the runtime cannot turn into an exception.
/// </summary>
internal sealed unsafe class MappedRegion : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;

    private MappedRegion(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        _file = file;
        _view = view;
        Length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + view.PointerOffset;
    }

    public long Length { get; }

    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return _pointer;
        }
    }

    /// <summary>Maps <paramref name="length"/> bytes (must not exceed the file size) of an open file.</summary>
    public static MappedRegion Map(FileStream stream, long length, bool writable)
    {
        var access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        var file = MemoryMappedFile.CreateFromFile(stream, mapName: null, length, access, HandleInheritability.None, leaveOpen: true);
        try
        {
            var view = file.CreateViewAccessor(0, length, access);
            return new MappedRegion(file, view, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps read-only the first <paramref name="length"/> bytes of an open file of any size of at
    /// least that many bytes. The mapping object's capacity is the file's current size (the runtime
    /// refuses a smaller one); only the view is limited, so later growth of the file is irrelevant.
    /// </summary>
    public static MappedRegion MapPrefix(FileStream stream, long length)
    {
        var file = MemoryMappedFile.CreateFromFile(stream, mapName: null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        try
        {
            var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new MappedRegion(file, view, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_pointer != null)
        {
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
