using System.Diagnostics;

namespace Gatehouse.Tests.Channel;

/// <summary>
/// Runs one of the repository's command-line tools (copied next to the test assembly by the
/// project references) as a separate OS process through the dotnet host.
/// </summary>
internal sealed class ToolProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private ToolProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static ToolProcess Start(string assemblyName, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing; the test project should copy it.");

        // The CLI tells child processes which host runs them; fall back to the one on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var info = new ProcessStartInfo(string.IsNullOrEmpty(host) ? "dotnet" : host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new ToolProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}"));
    }

    public static async Task<ToolResult> RunAsync(string assemblyName, params string[] args)
    {
        using var process = Start(assemblyName, args);
        return await process.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task<ToolResult> WaitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"process {_process.Id} did not exit within {timeout}");
        }

        return new ToolResult(_process.ExitCode, await _stdout, await _stderr);
    }

    /// <summary>SIGKILL on Unix: the process gets no chance to clean up.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}

internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
