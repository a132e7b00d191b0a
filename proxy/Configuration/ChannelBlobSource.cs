using Gatehouse.Channel;

namespace Gatehouse.Proxy.Configuration;

/// <summary>Reads blobs from the controller's memory-mapped channel file.</summary>
internal sealed class ChannelBlobSource : IConfigBlobSource
{
    private readonly ConfigChannelReader _reader;

    public ChannelBlobSource(string path)
    {
        _reader = new ConfigChannelReader(path);
    }

    public ChannelReadResult Poll() => _reader.Poll();

    public void Dispose() => _reader.Dispose();
}
