using System.Diagnostics;
using System.Text.Json.Nodes;
using Gatehouse.Channel;
using Gatehouse.Model;
using Gatehouse.Serialization;
using Gatehouse.Tests.Golden;

namespace Gatehouse.Tests.Channel;

/// <summary>
/// tests/tools/read_channel.py reads a channel file using only docs/channel.md, docs/channel-payload.md
/// and python3's msgpack module. If it and gatehouse-dump agree on a real file, the documents are
/// enough for an outside tool; if they disagree, the docs (or the code) are wrong.
/// </summary>
public sealed class IndependentReaderTests : IDisposable
{
    // The Debian python3-msgpack lives in the system interpreter; a pyenv python on PATH may lack it.
    private const string Python = "/usr/bin/python3";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(1, 1, false)]
    [InlineData(1, 1, true)]
    public async Task PythonReaderAndDumpToolAgree(int major, int minor, bool showSecrets)
    {
        var schema = new SchemaVersion((ushort)major, (ushort)minor);
        var path = _temp.File("config.bin");
        using (var writer = ConfigChannelWriter.Open(path))
        {
            // Two publishes so both slots hold blobs; the second is large enough to move slot 1 to the end of the file.
            writer.Publish(ConfigSerializer.Serialize(GoldenConfig.Create() with { DefaultBackend = null }, schema), schema);
            writer.Publish(ConfigSerializer.Serialize(WithPadding(GoldenConfig.Create(), 70_000), schema), schema);
        }

        string[] flags = showSecrets ? ["--json", "--show-secrets"] : ["--json"];
        var dump = await ToolProcess.RunAsync("gatehouse-dump", [path, .. flags]);
        Assert.True(dump.ExitCode == 0, dump.ToString());
        var python = await RunPythonAsync(showSecrets ? [path, "--show-secrets"] : [path]);
        Assert.True(python.ExitCode == 0, python.ToString());

        var expected = JsonNode.Parse(dump.Stdout)!;
        var actual = JsonNode.Parse(python.Stdout)!;

        var header = expected["header"]!;
        Assert.Equal(2, header["generation"]!.GetValue<long>());
        Assert.Equal(1, header["activeSlot"]!.GetValue<int>());
        Assert.Equal(schema.ToString(), header["slots"]![1]!["schema"]!.GetValue<string>());
        Assert.True(header["slots"]![0]!["crcOk"]!.GetValue<bool>());

        foreach (var (key, value) in header.AsObject())
        {
            Assert.True(JsonNode.DeepEquals(value, actual["header"]![key]), $"header.{key}: dump {value?.ToJsonString()}, python {actual["header"]![key]?.ToJsonString()}");
        }

        Assert.True(
            JsonNode.DeepEquals(expected["config"], actual["config"]),
            $"config differs.\ndump:\n{expected["config"]!.ToJsonString()}\npython:\n{actual["config"]!.ToJsonString()}");
        Assert.Equal(showSecrets, python.Stdout.Contains("BEGIN PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PythonReaderReportsNothingPublished()
    {
        var path = _temp.File("empty.bin");
        using (ConfigChannelWriter.Open(path))
        {
        }

        var python = await RunPythonAsync([path]);
        Assert.True(python.ExitCode == 0, python.ToString());
        var document = JsonNode.Parse(python.Stdout)!;
        Assert.Equal(-1, document["header"]!["activeSlot"]!.GetValue<int>());
        Assert.Null(document["config"]);
    }

    private static GatehouseConfig WithPadding(GatehouseConfig config, int bytes)
        => config with
        {
            Hosts = config.Hosts.Add(new VirtualHostConfig
            {
                Host = "padding.example.com",
                Routes = [new RouteConfig { Path = "/" + new string('p', bytes), Backend = "default/web:80", Ingress = "default/pad" }],
            }),
        };

    private static async Task<ToolResult> RunPythonAsync(string[] args)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "tools", "read_channel.py");
        Assert.True(File.Exists(script), $"{script} is missing; the test project should copy it.");
        Assert.True(File.Exists(Python), $"{Python} is missing; .ci/run installs python3-msgpack.");
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
