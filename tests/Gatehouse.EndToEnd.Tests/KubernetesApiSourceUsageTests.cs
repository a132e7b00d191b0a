using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>Source mode mistakes stop the controller at startup with the usage exit code and a message naming the problem.</summary>
public sealed class KubernetesApiSourceUsageTests
{
    [Theory]
    [InlineData("give exactly one", "--manifests", "/tmp", "--in-cluster")]
    [InlineData("--kubeconfig '/nonexistent/kubeconfig'", "--kubeconfig", "/nonexistent/kubeconfig")]
    [InlineData("no context named 'nope'", "--kubeconfig", "KUBECONFIG", "--context", "nope")]
    public async Task Broken_source_flags_exit_with_code_2(string expected, params string[] source)
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-e2e-usage-").FullName;
        try
        {
            var kubeconfig = Path.Combine(directory, "kubeconfig");
            await File.WriteAllTextAsync(kubeconfig, """
                current-context: a
                clusters: [{name: a, cluster: {server: "http://127.0.0.1:1"}}]
                contexts: [{name: a, context: {cluster: a}}]
                """);
            string[] arguments =
            [
                .. source.Select(a => a == "KUBECONFIG" ? kubeconfig : a),
                "--channel", Path.Combine(directory, "config.bin"), "--admin-port", "0",
            ];
            await using var controller = ChildProcess.Start("controller", Binaries.Controller, arguments);

            Assert.Equal(2, await controller.WaitForExitAsync(GatehouseStack.Patience));
            Assert.Contains(expected, controller.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
