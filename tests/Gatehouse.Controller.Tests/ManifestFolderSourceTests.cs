using System.Threading.Channels;
using SysChannel = System.Threading.Channels.Channel;
using Gatehouse.Controller.Sources;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests;

public sealed class ManifestFolderSourceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string ServiceA = """
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        spec: {ports: [{port: 80}]}
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-manifests-").FullName;
    private readonly TestLogger<ManifestFolderSource> _logger = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ManifestFolderSource CreateSource(TimeSpan debounce, Channel<ResourceSnapshot> changes)
    {
        var source = new ManifestFolderSource(_directory, debounce, _logger);
        source.Changed += (_, snapshot) => changes.Writer.TryWrite(snapshot);
        return source;
    }

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_directory, name), content);

    [Fact]
    public async Task FirstReadLoadsGoodFilesAndLogsTheBadOneByName()
    {
        Write("a.yaml", ServiceA);
        Write("b.json", """{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b", "namespace": "x"}}""");
        Write("broken.yml", "kind: [unterminated\n");
        Write("notes.txt", "kind: Service");
        Write(".hidden.yaml", ServiceA.Replace("name: a", "name: hidden", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(_directory, "sub"));
        File.WriteAllText(Path.Combine(_directory, "sub", "c.yaml"), ServiceA.Replace("name: a", "name: c", StringComparison.Ordinal));

        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(50), changes);
        Assert.False(source.HasSynced);

        await source.StartAsync(CancellationToken.None);

        Assert.True(source.HasSynced);
        Assert.Equal(["default/a", "x/b"], source.Current.Services.Keys);
        var initial = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Same(source.Current, initial);
        Assert.Contains(_logger.At(LogLevel.Warning), m => m.Contains("broken.yml", StringComparison.Ordinal) && m.Contains("syntax error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnlyTheChangedFileIsParsedAgain()
    {
        Write("a.yaml", ServiceA);
        Write("b.yaml", ServiceA.Replace("name: a", "name: b", StringComparison.Ordinal));
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(50), changes);
        await source.StartAsync(CancellationToken.None);
        var initial = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        Write("b.yaml", ServiceA.Replace("name: a", "name: b", StringComparison.Ordinal).Replace("port: 80", "port: 81", StringComparison.Ordinal));
        var next = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        // The untouched file's objects are the very instances parsed before; the edited file's are new.
        Assert.Same(initial.Services["default/a"], next.Services["default/a"]);
        Assert.NotSame(initial.Services["default/b"], next.Services["default/b"]);
        Assert.Equal(81, next.Services["default/b"].Spec!.Ports![0].Port);

        // A file that is deleted and written back with the same text is parsed afresh, not resurrected.
        File.Delete(Path.Combine(_directory, "a.yaml"));
        var without = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.False(without.Services.ContainsKey("default/a"));
        Write("a.yaml", ServiceA);
        var back = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.NotSame(initial.Services["default/a"], back.Services["default/a"]);
    }

    [Fact]
    public async Task BurstOfEditsBecomesOneSnapshot()
    {
        Write("a.yaml", ServiceA);
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        var debounce = TimeSpan.FromMilliseconds(300);
        using var source = CreateSource(debounce, changes);
        await source.StartAsync(CancellationToken.None);
        var initial = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        for (var i = 1; i <= 5; i++)
        {
            Write("a.yaml", ServiceA.Replace("port: 80", $"port: {80 + i}", StringComparison.Ordinal));
            Write($"extra{i}.yaml", ServiceA.Replace("name: a", $"name: extra{i}", StringComparison.Ordinal));
        }

        var next = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.True(next.Version > initial.Version);
        Assert.Equal(85, next.Services["default/a"].Spec!.Ports![0].Port);
        Assert.Equal(6, next.Services.Count);

        // Proving a negative needs a bounded wait: several debounce periods with no second snapshot.
        var extra = changes.Reader.WaitToReadAsync().AsTask();
        Assert.NotSame(extra, await Task.WhenAny(extra, Task.Delay(debounce * 3)));
    }

    [Fact]
    public async Task EditsThatNeverPauseStillProduceASnapshot()
    {
        Write("a.yaml", ServiceA);
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        var debounce = TimeSpan.FromMilliseconds(50);
        using var source = CreateSource(debounce, changes);
        await source.StartAsync(CancellationToken.None);
        await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        // A writer that never leaves the folder quiet for a whole debounce period, for far longer
        // than the deferral cap (10 periods).
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 400 && !stop.IsCancellationRequested; i++)
            {
                // Write-then-rename: a reload landing inside a plain in-place write would read a torn
                // file, which is not what this test is about (and made it flaky on a loaded machine).
                var temporary = Path.Combine(_directory, ".a.yaml.tmp");
                File.WriteAllText(temporary, ServiceA.Replace("port: 80", $"port: {1000 + i}", StringComparison.Ordinal));
                File.Move(temporary, Path.Combine(_directory, "a.yaml"), overwrite: true);
                await Task.Delay(debounce / 5);
            }
        });

        var next = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.False(writer.IsCompleted, "the snapshot only came once the writer stopped");
        Assert.True(next.Services["default/a"].Spec!.Ports![0].Port >= 1000);
        await stop.CancelAsync();
        await writer;
    }

    [Fact]
    public async Task MergingOnlyChangedFilesGivesWhatAFullReadGives()
    {
        static string Ingress(string name, string host) => $$"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: {{name}}}
            spec: {rules: [{host: {{host}}}]}
            """;
        var serviceB = ServiceA.Replace("name: a", "name: b", StringComparison.Ordinal);
        const string Secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata: {ca.crt: eA==}\n";

        Write("a.yaml", ServiceA + "\n---\n" + Ingress("i1", "one.test"));
        Write("b.yaml", serviceB);
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(20), changes);
        await source.StartAsync(CancellationToken.None);
        var initial = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        // Only an Ingress file changes: the other kinds' dictionaries are the very same instances.
        Write("c.yaml", Ingress("i2", "two.test") + "\n---\n" + Ingress("i3", "three.test"));
        var added = await ConvergesAsync(source, changes);
        Assert.Same(initial.Services, added.Services);
        Assert.Same(initial.Ingresses["default/i1"], added.Ingresses["default/i1"]);

        Write("b.yaml", serviceB.Replace("port: 80", "port: 81", StringComparison.Ordinal) + "\n---\n" + Secret);
        await ConvergesAsync(source, changes);

        // c.yaml redefines a.yaml's Service: the later file wins, as in a full read...
        Write("c.yaml", Ingress("i2", "two.test") + "\n---\n" + ServiceA.Replace("port: 80", "port: 8080", StringComparison.Ordinal));
        var duplicated = await ConvergesAsync(source, changes);
        Assert.Equal(8080, duplicated.Services["default/a"].Spec!.Ports![0].Port);

        // ...and when c.yaml goes, a.yaml's own definition is back.
        File.Delete(Path.Combine(_directory, "c.yaml"));
        var restored = await ConvergesAsync(source, changes);
        Assert.Equal(80, restored.Services["default/a"].Spec!.Ports![0].Port);

        // An object moving between files, renamed inside a file, a file emptied.
        Write("b.yaml", serviceB + "\n---\n" + Ingress("i1", "moved.test"));
        Write("a.yaml", ServiceA);
        var moved = await ConvergesAsync(source, changes);
        Assert.Equal("moved.test", moved.Ingresses["default/i1"].Spec!.Rules![0].Host);
        Write("b.yaml", serviceB + "\n---\n" + Ingress("i9", "moved.test"));
        await ConvergesAsync(source, changes);
        Write("a.yaml", "");
        var emptied = await ConvergesAsync(source, changes);
        Assert.Equal(["default/b"], emptied.Services.Keys);
    }

    /// <summary>Waits for the source's snapshot to equal what a fresh source reads from the folder now.</summary>
    private async Task<ResourceSnapshot> ConvergesAsync(ManifestFolderSource source, Channel<ResourceSnapshot> changes)
    {
        using var fresh = new ManifestFolderSource(_directory, TimeSpan.FromMilliseconds(20), new TestLogger<ManifestFolderSource>());
        await fresh.StartAsync(CancellationToken.None);
        var expected = Describe(fresh.Current);
        var deadline = DateTime.UtcNow + Timeout;
        while (Describe(source.Current) != expected)
        {
            var remaining = deadline - DateTime.UtcNow;
            Assert.True(remaining > TimeSpan.Zero, $"the source never converged on a full read:\nexpected\n{expected}\nactual\n{Describe(source.Current)}");
            try
            {
                await changes.Reader.ReadAsync().AsTask().WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                // Reported by the assertion above on the next turn.
            }
        }

        return source.Current;
    }

    private static string Describe(ResourceSnapshot snapshot)
    {
        IEnumerable<(string Kind, string Key, object Value)> All() =>
            snapshot.Ingresses.Select(p => ("Ingress", p.Key, (object)p.Value))
                .Concat(snapshot.IngressClasses.Select(p => ("IngressClass", p.Key, (object)p.Value)))
                .Concat(snapshot.Services.Select(p => ("Service", p.Key, (object)p.Value)))
                .Concat(snapshot.EndpointSlices.Select(p => ("EndpointSlice", p.Key, (object)p.Value)))
                .Concat(snapshot.Secrets.Select(p => ("Secret", p.Key, (object)p.Value)))
                .Concat(snapshot.IngressCheckSums.Select(p => ("IngressCheckSum", p.Key, (object)p.Value)))
                .Concat(snapshot.SecretCheckSums.Select(p => ("SecretCheckSum", p.Key, (object)p.Value)));
        return string.Join("\n", All().Select(o => $"{o.Kind} {o.Key} {System.Text.Json.JsonSerializer.Serialize(o.Value, o.Value.GetType(), Gatehouse.Controller.Kubernetes.Models.KubernetesJsonContext.Default)}"));
    }

    [Fact]
    public async Task FileReplacedByRenameIsPickedUp()
    {
        Write("a.yaml", ServiceA);
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(50), changes);
        await source.StartAsync(CancellationToken.None);
        await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        // What vim/VS Code/kubectl-style writers do: write a temp file, then rename it over the original.
        var temp = Path.Combine(_directory, "a.yaml.tmp~");
        File.WriteAllText(temp, ServiceA.Replace("port: 80", "port: 443", StringComparison.Ordinal));
        File.Move(temp, Path.Combine(_directory, "a.yaml"), overwrite: true);

        var next = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(443, next.Services["default/a"].Spec!.Ports![0].Port);
    }

    [Fact]
    public async Task DeletedFileDisappearsFromTheSnapshot()
    {
        Write("a.yaml", ServiceA);
        Write("b.yaml", ServiceA.Replace("name: a", "name: b", StringComparison.Ordinal));
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(50), changes);
        await source.StartAsync(CancellationToken.None);
        await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

        File.Delete(Path.Combine(_directory, "b.yaml"));

        var next = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(["default/a"], next.Services.Keys);
    }

    [Fact]
    public async Task AnUnparsableFileMarksTheReadIncompleteUntilItIsFixed()
    {
        Write("a.yaml", ServiceA);
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(20), changes);
        await source.StartAsync(CancellationToken.None);
        await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.True(source.LastReadComplete);

        // The file that held every object is now broken: the snapshot is empty, but not because the
        // objects were deleted, and the flag says so.
        Write("a.yaml", "kind: [unterminated\n");
        var broken = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Empty(broken.Services);
        Assert.False(source.LastReadComplete);

        Write("a.yaml", ServiceA);
        var fixedSnapshot = await changes.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(["default/a"], fixedSnapshot.Services.Keys);
        Assert.True(source.LastReadComplete);
    }

    [Fact]
    public async Task FilesWithAByteOrderMarkAreDecodedByIt()
    {
        // Windows editors save UTF-8 with a BOM, PowerShell's "> file" writes UTF-16: both must load.
        File.WriteAllText(Path.Combine(_directory, "utf8.yaml"), ServiceA.Replace("name: a", "name: é8", StringComparison.Ordinal), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        File.WriteAllText(Path.Combine(_directory, "utf16.yaml"), ServiceA.Replace("name: a", "name: é16", StringComparison.Ordinal), System.Text.Encoding.Unicode);
        var changes = SysChannel.CreateUnbounded<ResourceSnapshot>();
        using var source = CreateSource(TimeSpan.FromMilliseconds(20), changes);

        await source.StartAsync(CancellationToken.None);

        Assert.True(source.LastReadComplete);
        Assert.Equal(["default/é16", "default/é8"], source.Current.Services.Keys);
    }

    [Fact]
    public async Task FileEventsDuringAReloadDoNotWaitForItButLeaveOneReloadBehindIt()
    {
        Write("a.yaml", ServiceA);
        var time = new HandFiredTime();
        using var source = new ManifestFolderSource(_directory, TimeSpan.FromMilliseconds(1), _logger, time);
        using var firstReadEntered = new ManualResetEventSlim();
        using var releaseFirstRead = new ManualResetEventSlim();
        var snapshots = SysChannel.CreateUnbounded<ResourceSnapshot>();
        source.Changed += (_, snapshot) =>
        {
            if (snapshots.Writer.TryWrite(snapshot) && snapshot.Services.Count == 1 && !firstReadEntered.IsSet)
            {
                // Holds the first reload inside the folder read while files keep changing.
                firstReadEntered.Set();
                releaseFirstRead.Wait(Timeout);
            }
        };

        var start = Task.Run(() => source.StartAsync(CancellationToken.None));
        Assert.True(await Task.Run(() => firstReadEntered.Wait(Timeout)));

        // Each file event arms the debounce timer; its callback, fired here while the first reload
        // still runs, must return at once instead of holding this thread until that reload ends.
        for (var edit = 0; edit < 3; edit++)
        {
            var armed = time.Timer.Armed;
            Write("b.yaml", ServiceA.Replace("name: a", "name: b", StringComparison.Ordinal).Replace("80", $"{8080 + edit}", StringComparison.Ordinal));
            await armed.WaitAsync(Timeout);
            await Task.Run(time.Timer.Fire).WaitAsync(TimeSpan.FromSeconds(5));
        }

        Assert.False(start.IsCompleted);
        var armedAgain = time.Timer.Armed;
        releaseFirstRead.Set();
        await start.WaitAsync(Timeout);

        // The changes made during the first read are read once, after it, through the debounce.
        await armedAgain.WaitAsync(Timeout);
        time.Timer.Fire();
        Assert.True(snapshots.Reader.TryRead(out var first));
        Assert.Equal(["default/a"], first.Services.Keys);
        Assert.True(snapshots.Reader.TryRead(out var afterEdits));
        Assert.Equal(["default/a", "default/b"], afterEdits.Services.Keys);
        Assert.Equal(8082, afterEdits.Services["default/b"].Spec!.Ports![0].Port);
        Assert.False(snapshots.Reader.TryRead(out _));
    }

    /// <summary>A clock whose one timer fires only when the test says so, on the test's thread.</summary>
    private sealed class HandFiredTime : TimeProvider
    {
        public HandTimer Timer { get; private set; } = null!;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
            => Timer = new HandTimer(() => callback(state));

        public sealed class HandTimer(Action callback) : ITimer
        {
            private TaskCompletionSource _armed = new(TaskCreationOptions.RunContinuationsAsynchronously);

            /// <summary>Completes the next time the timer is given a due time.</summary>
            public Task Armed => Volatile.Read(ref _armed).Task;

            public void Fire()
            {
                Volatile.Write(ref _armed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                callback();
            }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                if (dueTime != global::System.Threading.Timeout.InfiniteTimeSpan)
                {
                    Volatile.Read(ref _armed).TrySetResult();
                }

                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task MissingDirectoryFailsToStart()
    {
        using var source = new ManifestFolderSource(Path.Combine(_directory, "nope"), TimeSpan.Zero, _logger);
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => source.StartAsync(CancellationToken.None));
        Assert.False(source.HasSynced);
    }
}
