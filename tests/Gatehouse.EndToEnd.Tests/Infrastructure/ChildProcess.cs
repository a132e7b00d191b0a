using System.Diagnostics;
using System.Text;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>
/// A Gatehouse program running as its own OS process. Its output is kept so a test can await a
/// line and show everything the process said when an assertion fails.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];
    private readonly object _gate = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static ChildProcess Start(string name, string dll, params string[] arguments)
        => Start(name, dll, new Dictionary<string, string>(), arguments);

    /// <summary>Starts with extra environment variables (e.g. POD_NAME, as the downward API sets it in a pod).</summary>
    public static ChildProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Completes when the process prints a line containing <paramref name="text"/>.</summary>
    public Task<string> WaitForLineAsync(string text, TimeSpan timeout)
        => WaitForLineAsync(line => line.Contains(text, StringComparison.Ordinal), timeout, text);

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string description)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var line in _output.ToString().Split('\n'))
            {
                if (match(line))
                {
                    return line;
                }
            }

            _waiters.Add((match, done));
        }

        // A process that exits without printing the line fails the wait at once, not after the timeout.
        // WaitForExitAsync completes only once the redirected output is read to the end.
        var exited = _process.WaitForExitAsync();
        try
        {
            await Task.WhenAny(done.Task, exited).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not print '{description}' within {timeout}. Output:\n{Output}");
        }

        if (done.Task.IsCompleted)
        {
            return await done.Task;
        }

        throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} without printing '{description}'. Output:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM, as the kubelet does to stop a container gracefully.</summary>
    public void Terminate()
    {
        if (SendSignal(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.Append(line).Append('\n');
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Done.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
