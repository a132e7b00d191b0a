namespace Gatehouse.Proxy.Admin;

/// <summary>The self-contained live view (LiveView.html, embedded): inline script and style, no external requests.</summary>
internal static class LiveViewPage
{
    private static readonly Lazy<ReadOnlyMemory<byte>> Page = new(Load);

    public static ReadOnlyMemory<byte> Value => Page.Value;

    private static ReadOnlyMemory<byte> Load()
    {
        using var stream = typeof(LiveViewPage).Assembly.GetManifestResourceStream("Gatehouse.Proxy.Admin.LiveView.html")
            ?? throw new InvalidOperationException("LiveView.html is not embedded in the proxy assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
