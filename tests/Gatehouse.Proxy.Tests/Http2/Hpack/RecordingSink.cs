using System.Text;
using Gatehouse.Proxy.Http2.Hpack;

namespace Gatehouse.Tests.Http2.Hpack;

/// <summary>Keeps every decoded field, as Latin-1 strings, so tests can compare whole header lists.</summary>
internal sealed class RecordingSink : IHpackHeaderSink
{
    public List<(string Name, string Value)> Fields { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Fields.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
}
