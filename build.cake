// Gatehouse build script. Entry point: ./build.sh --target=<Build|Test|Publish|Run|Bench|Load>
using System.Diagnostics;
using System.Threading;
using System.Runtime.InteropServices;
using System.Xml.Linq;

var target = Argument("target", "Build");
var configuration = Argument("configuration", "Release");
var testFilter = Argument("filter", "");
var benchFilter = Argument("bench-filter", "*");

// Load harness (bench/load/run.py): --load=true makes Bench run it after the code-path benchmarks;
// --load-args passes options through (e.g. "--reps 5 --scenarios ka50,close"), --scale runs the
// scale runs instead (e.g. --scale=1000,10000,30000,100000).
var runLoad = Argument("load", false);
var loadArgs = Argument("load-args", "");
var loadScale = Argument("scale", "");

var root = MakeAbsolute(Directory("."));
var solution = root.CombineWithFilePath("Gatehouse.slnx");
var artifacts = root.Combine("artifacts");
var binDir = artifacts.Combine("bin");
var testResults = artifacts.Combine("test-results");

Task("Build")
    .Does(() =>
{
    DotNetBuild(solution.FullPath, new DotNetBuildSettings
    {
        Configuration = configuration,
        NoLogo = true,
    });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    CleanDirectory(testResults);
    var projects = GetFiles(root.FullPath + "/tests/**/*.Tests.csproj");
    var failures = new List<string>();
    foreach (var project in projects)
    {
        var name = project.GetFilenameWithoutExtension().ToString();
        var settings = new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            NoLogo = true,
            Loggers = new[] { $"trx;LogFileName={name}.trx", "console;verbosity=normal" },
            ResultsDirectory = testResults,
        };
        if (!string.IsNullOrEmpty(testFilter))
        {
            settings.Filter = testFilter;
        }

        try
        {
            DotNetTest(project.FullPath, settings);
        }
        catch (Exception ex)
        {
            failures.Add($"{name}: {ex.Message}");
        }
    }

    // One plain summary line over every test project, so CI output says what ran.
    long passed = 0, failed = 0, skipped = 0;
    var failedResults = new List<string>();
    foreach (var trx in GetFiles(testResults.FullPath + "/*.trx"))
    {
        var document = XDocument.Load(trx.FullPath);
        var counters = document.Descendants().First(e => e.Name.LocalName == "Counters");
        passed += (long)counters.Attribute("passed");
        failed += (long)counters.Attribute("failed") + (long)counters.Attribute("error") + (long)counters.Attribute("timeout");
        skipped += (long)counters.Attribute("notExecuted");
        failedResults.AddRange(DescribeFailures(document));
    }

    // CI keeps only the tail of the output: repeat each failure there, with its message and the
    // top of its stack, so a failed run says which test broke and why without the .trx files.
    Console.WriteLine();
    foreach (var description in failedResults)
    {
        Console.WriteLine(description);
    }

    // Plain Console output: Cake's log colours the numbers, and CI reads this line as text.
    Console.WriteLine();
    Console.WriteLine($"Tests: {passed} passed, {failed} failed, {skipped} skipped");
    if (failures.Count > 0 || failed > 0 || passed == 0)
    {
        var names = failedResults.Select(description => description.Split('\n')[0].TrimEnd());
        throw new CakeException("Tests failed:" + Environment.NewLine + string.Join(Environment.NewLine, failures.Concat(names)));
    }
});

static IEnumerable<string> DescribeFailures(XDocument trx)
{
    foreach (var result in trx.Descendants().Where(e => e.Name.LocalName == "UnitTestResult"))
    {
        var outcome = (string)result.Attribute("outcome");
        if (outcome != "Failed" && outcome != "Error" && outcome != "Timeout")
        {
            continue;
        }

        var message = result.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? "";
        var stack = result.Descendants().FirstOrDefault(e => e.Name.LocalName == "StackTrace")?.Value ?? "";
        var stackTop = string.Join(Environment.NewLine, stack.Split('\n').Take(8).Select(line => "    " + line.TrimEnd()));
        yield return $"FAILED {(string)result.Attribute("testName")} ({(string)result.Attribute("duration")}){Environment.NewLine}"
            + $"  {message.Trim().Replace("\n", Environment.NewLine + "  ")}{Environment.NewLine}{stackTop}";
    }
}

Task("Publish")
    .Does(() => PublishExecutables());

void PublishExecutables()
{
    CleanDirectory(binDir);
    foreach (var project in new[]
    {
        "controller/Gatehouse.Controller.csproj",
        "proxy/Gatehouse.Proxy.csproj",
        "shared/Gatehouse.Dump/Gatehouse.Dump.csproj",
        "tests/Gatehouse.Echo/Gatehouse.Echo.csproj",
    })
    {
        DotNetPublish(root.CombineWithFilePath(project).FullPath, new DotNetPublishSettings
        {
            Configuration = configuration,
            OutputDirectory = binDir,
            SelfContained = false,
            NoLogo = true,
        });
    }

    Information($"Executables in {binDir}: gatehouse-controller, gatehouse-proxy, gatehouse-dump, gatehouse-echo");
}

// Side by side with nginx and HAProxy (or the scale runs); needs the published executables.
void RunLoadHarness()
{
    var arguments = new ProcessArgumentBuilder()
        .Append(root.CombineWithFilePath("bench/load/run.py").FullPath)
        .Append("--bin").AppendQuoted(binDir.FullPath);
    if (loadScale != "")
    {
        arguments.Append("--scale").AppendQuoted(loadScale);
    }

    var exitCode = StartProcess("python3", new ProcessSettings
    {
        Arguments = arguments.Append(loadArgs),
        WorkingDirectory = root,
    });
    if (exitCode != 0)
    {
        throw new CakeException($"bench/load/run.py exited with code {exitCode}");
    }
}

Task("Load")
    .IsDependentOn("Publish")
    .Does(() => RunLoadHarness());

Task("Run")
    .IsDependentOn("Publish")
    .Does(() =>
{
    var runDir = artifacts.Combine("run");
    EnsureDirectoryExists(runDir);
    var channel = runDir.CombineWithFilePath("config.bin").FullPath;
    var manifests = root.Combine("manifests/examples").FullPath;
    var processes = new List<Process>();

    Process Start(string exe, string arguments)
    {
        var info = new ProcessStartInfo(binDir.CombineWithFilePath(exe).FullPath, arguments)
        {
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new CakeException($"could not start {exe}");
        processes.Add(process);
        return process;
    }

    // Ctrl-C (SIGINT) and SIGTERM both stop the example and everything it started.
    var stop = new ManualResetEventSlim();
    using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Set(); });
    using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Set(); });
    try
    {
        Start("gatehouse-echo", "--name echo-a --port 9101");
        Start("gatehouse-echo", "--name echo-b --port 9102");
        Start("gatehouse-controller", $"--manifests \"{manifests}\" --channel \"{channel}\"");
        Start("gatehouse-proxy", $"--channel \"{channel}\" --address 127.0.0.1 --http-port 8080 --admin-port 9090");

        Information("");
        Information("Gatehouse is running. Try:");
        Information("  curl -s http://127.0.0.1:8080/ -H 'Host: demo.localtest.me'            # echo-a");
        Information("  curl -s http://127.0.0.1:8080/b/x -H 'Host: demo.localtest.me'         # echo-b");
        Information("  curl -s http://127.0.0.1:8080/v1/users -H 'Host: api.localtest.me'     # echo-b");
        Information("  curl -s http://127.0.0.1:8080/status -H 'Host: api.localtest.me'       # echo-a (Exact)");
        Information("  curl -s http://127.0.0.1:8080/ -H 'Host: other.example'                # echo-a (defaultBackend)");
        Information("  curl -s http://127.0.0.1:9090/config        # proxy: generation and counts");
        Information("  curl -s http://127.0.0.1:10254/config       # controller: what it published");
        Information($"  artifacts/bin/gatehouse-dump {channel}");
        Information($"Edit {manifests} and routing changes live. Ctrl-C stops all four processes.");

        while (!stop.Wait(500))
        {
            var exited = processes.FirstOrDefault(p => p.HasExited);
            if (exited is not null)
            {
                throw new CakeException($"process {exited.Id} exited with code {exited.ExitCode}");
            }
        }
    }
    finally
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
    }
});

Task("Bench")
    .Does(() =>
{
    // Code-path benchmarks (BenchmarkDotNet); with --load=true the side-by-side load harness
    // (bench/load/run.py, also --target=Load) runs after them.
    // --bench-job defaults to "short" (3 warm-ups, 3 iterations, 1 launch) so the whole suite fits in
    // about ten minutes on a small shared machine; --bench-job=default gives BenchmarkDotNet's own
    // statistically driven job, any other value (dry, medium, long) is passed through.
    var benchJob = Argument("bench-job", "short");
    var project = root.CombineWithFilePath("bench/Gatehouse.Benchmarks/Gatehouse.Benchmarks.csproj").FullPath;
    var settings = new DotNetRunSettings { Configuration = "Release" };

    // The bytes-per-host table takes seconds and has no filter; print it with every full run.
    if (benchFilter == "*")
    {
        DotNetRun(project, new ProcessArgumentBuilder().Append("sizes"), settings);
        settings.NoBuild = true;
    }

    var arguments = new ProcessArgumentBuilder().Append("--filter").AppendQuoted(benchFilter);
    if (benchJob != "default")
    {
        arguments.Append("--job").Append(benchJob);
    }

    DotNetRun(project, arguments, settings);

    if (runLoad)
    {
        PublishExecutables();
        RunLoadHarness();
    }
});

RunTarget(target);
