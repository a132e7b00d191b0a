using System.IO.Pipelines;
using Gatehouse.Proxy.Http2;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Tests.Http2;

/// <summary>What an application set on one request's features is gone when the stream object serves the next.</summary>
public sealed class Http2StreamRecycleTests
{
    [Fact]
    public void SettableRequestFeaturesAreResetForTheNextRequest()
    {
        var transport = new Pipe();
        var context = new DefaultConnectionContext("c1") { Transport = new DuplexPipe(transport.Reader, transport.Writer) };
        var connection = new Http2Connection(context, _ => default, new Http2Limits(), isTls: false, NullLogger.Instance);
        var stream = new Http2Stream(connection);
        stream.Recycle();

        stream.Context.Request.PathBase = "/mounted";
        stream.Context.Request.Path = "/a";
        stream.Context.Request.Body = new MemoryStream([1, 2, 3]);
        stream.Context.Items["key"] = "value";
        stream.Recycle();

        Assert.Equal("", stream.Context.Request.PathBase.Value);
        Assert.Equal("", stream.Context.Request.Path.Value);
        Assert.IsNotType<MemoryStream>(stream.Context.Request.Body);
        Assert.False(stream.Context.Items.ContainsKey("key"));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
