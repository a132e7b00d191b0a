namespace Gatehouse.Tests.Channel;

public sealed class ChannelCrossProcessTests : IDisposable
{
    private const int Generations = 3000;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ReaderProcessSeesOnlyConsistentBlobsFromWriterProcess()
    {
        var path = _temp.File("config.bin");

        // Reader first, so it polls through file creation, growth and every publish.
        using var reader = ToolProcess.Start("gatehouse-channel-stress", "read", path, "--until-generation", $"{Generations}", "--timeout-seconds", "150");
        using var writer = ToolProcess.Start("gatehouse-channel-stress", "write", path, "--count", $"{Generations}");

        var written = await writer.WaitAsync(TimeSpan.FromSeconds(150));
        Assert.True(written.ExitCode == 0, written.ToString());

        var read = await reader.WaitAsync(TimeSpan.FromSeconds(160));
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains($"last={Generations} ", read.Stdout, StringComparison.Ordinal);
        Assert.Contains("rejected=0 ", read.Stdout, StringComparison.Ordinal);
    }
}
