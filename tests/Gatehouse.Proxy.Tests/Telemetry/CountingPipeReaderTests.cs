using System.IO.Pipelines;
using Gatehouse.Proxy.Telemetry;

namespace Gatehouse.Proxy.Tests.Telemetry;

public sealed class CountingPipeReaderTests
{
    [Fact]
    public async Task ReadsThatWaitForDataCompleteWithItAndCountWhatIsConsumedAcrossManyRequests()
    {
        var transport = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        var counter = new ConnectionByteCounter(new DuplexPipe(transport.Reader, new Pipe().Writer));
        var reader = counter.Input;

        for (var i = 1; i <= 5; i++)
        {
            // Pending first, as a keep-alive connection waits for its next request: the same object serves every wait.
            var pending = reader.ReadAsync();
            Assert.False(pending.IsCompleted);
            await transport.Writer.WriteAsync(new byte[10 * i]);

            var result = await pending;
            Assert.Equal(10 * i, result.Buffer.Length);
            reader.AdvanceTo(result.Buffer.GetPosition(4 * i));
            Assert.Equal(4 * i, counter.TakeRequestBytes().In);

            // The rest was already there: a read that completes at once is counted the same way.
            var rest = await reader.ReadAsync();
            Assert.Equal(6 * i, rest.Buffer.Length);
            reader.AdvanceTo(rest.Buffer.End);
            Assert.Equal(6 * i, counter.TakeRequestBytes().In);
        }
    }

    [Fact]
    public async Task AWaitingReadSeesCancellationAndTheWritersError()
    {
        var transport = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var reader = new ConnectionByteCounter(new DuplexPipe(transport.Reader, new Pipe().Writer)).Input;

        var pending = reader.ReadAsync();
        reader.CancelPendingRead();
        var cancelled = await pending;
        Assert.True(cancelled.IsCanceled);
        reader.AdvanceTo(cancelled.Buffer.Start);

        pending = reader.ReadAsync();
        transport.Writer.Complete(new InvalidOperationException("transport failed"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await pending);
        Assert.Equal("transport failed", error.Message);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
