using Gatehouse.Channel;

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

    [Fact]
    public async Task WriterKilledMidRunIsContinuedByANewWriterWithoutTheReaderSeeingATornBlob()
    {
        // The kill lands somewhere after generation 1000; how far the writer got by then depends on
        // scheduling, so the successor's target leaves plenty of headroom.
        const int killAfter = 1000;
        const int target = 30_000;
        var path = _temp.File("config.bin");
        using var reader = ToolProcess.Start("gatehouse-channel-stress", "read", path, "--until-generation", $"{target}", "--timeout-seconds", "150");

        // Far more than it will get to write: SIGKILL lands at an arbitrary point of a publish.
        using (var doomed = ToolProcess.Start("gatehouse-channel-stress", "write", path, "--count", "1000000000"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (PublishedGeneration(path) < killAfter)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first writer made no progress");

                // The writer gives no signal of its own; watching the file is the event here.
                await Task.Delay(5);
            }

            doomed.Kill();
        }

        var killedAt = PublishedGeneration(path);
        Assert.True(killedAt < target - killAfter, $"first writer got to {killedAt} before being killed");

        using var successor = ToolProcess.Start("gatehouse-channel-stress", "write", path, "--until-generation", $"{target}");
        var written = await successor.WaitAsync(TimeSpan.FromSeconds(150));
        Assert.True(written.ExitCode == 0, written.ToString());

        var read = await reader.WaitAsync(TimeSpan.FromSeconds(160));
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains($"last={target} ", read.Stdout, StringComparison.Ordinal);
    }

    private static long PublishedGeneration(string path)
    {
        try
        {
            return ConfigChannelReader.ReadHeader(path).Generation;
        }
        catch (Exception ex) when (ex is IOException)
        {
            // Not created or not initialised yet.
            return 0;
        }
    }
}
