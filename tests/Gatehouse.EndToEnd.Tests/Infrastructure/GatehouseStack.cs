using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>
/// A controller, a proxy and echo backends as separate OS processes sharing one channel file,
/// the way they run as two containers of a pod.
/// </summary>
internal sealed class GatehouseStack : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly List<ChildProcess> _processes = [];
    private readonly Dictionary<string, int> _echoPorts = [];

    private GatehouseStack(string directory)
    {
        Directory = directory;
        ManifestsDirectory = System.IO.Path.Combine(directory, "manifests");
        ChannelPath = System.IO.Path.Combine(directory, "run", "config.bin");
        System.IO.Directory.CreateDirectory(ManifestsDirectory);

        // Tests set cookies explicitly; a shared jar would carry one test's affinity cookie into the next.
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { Timeout = Patience };
    }

    public string Directory { get; }

    public string ManifestsDirectory { get; }

    public string ChannelPath { get; }

    public HttpClient Client { get; }

    public int ProxyPort { get; private set; }

    public int ProxyAdminPort { get; private set; }

    /// <summary>The proxy's HTTPS port (--https-port).</summary>
    public int ProxyHttpsPort { get; private set; }

    public int ControllerAdminPort { get; private set; }

    public ChildProcess? Controller { get; private set; }

    public ChildProcess? Proxy { get; private set; }

    public static GatehouseStack Create()
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gatehouse-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return new GatehouseStack(directory);
    }

    public int EchoPort(string name) => _echoPorts[name];

    /// <summary>
    /// The manifests most tests start from: one echo backend ("echo-a") behind Service svc-a, and the
    /// Ingress "web" routing <paramref name="host"/> (paths under <paramref name="path"/>) to it.
    /// </summary>
    public async Task StartEchoIngressAsync(string host, string path = "/")
    {
        await StartEchoAsync("echo-a");
        WriteManifest("class.yaml", Manifests.IngressClass);
        WriteManifest("services.yaml", Manifests.Service("svc-a", EchoPort("echo-a")));
        WriteManifest("ingress.yaml", Manifests.Ingress("web", host, (path, "Prefix", "svc-a")));
    }

    public async Task StartEchoAsync(params string[] names)
    {
        foreach (var name in names)
        {
            var port = FreePort.Next();
            var echo = Track(ChildProcess.Start(name, Binaries.Echo, "--name", name, "--port", port.ToString()));
            await echo.WaitForLineAsync("listening on", Patience);
            _echoPorts[name] = port;
        }
    }

    public void WriteManifest(string fileName, string content)
    {
        // Write then rename, as kubectl-driven tooling and editors do, so the controller never
        // reads half a file.
        var path = System.IO.Path.Combine(ManifestsDirectory, fileName);
        var temporary = System.IO.Path.Combine(Directory, fileName + ".tmp");
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    public void DeleteManifest(string fileName) => File.Delete(System.IO.Path.Combine(ManifestsDirectory, fileName));

    /// <summary>Starts a controller; by default waits until it has published (its /readyz is 200).</summary>
    /// <param name="source">Source flags (e.g. "--kubeconfig", PATH); the stack's manifests folder when null.</param>
    public async Task StartControllerAsync(int debounceMilliseconds = 100, bool waitForReady = true, IReadOnlyList<string>? source = null)
    {
        ControllerAdminPort = FreePort.Next();
        Controller = Track(ChildProcess.Start("controller", Binaries.Controller,
            [
            .. source ?? ["--manifests", ManifestsDirectory],
            "--channel", ChannelPath,
            "--admin-port", ControllerAdminPort.ToString(),
            "--debounce-ms", debounceMilliseconds.ToString(),
            ]));
        if (waitForReady)
        {
            await WaitUntilAsync(async () => (await TryGetStatusAsync(ControllerAdminPort, "/readyz")) == HttpStatusCode.OK,
                "controller ready", Controller);
        }
    }

    /// <summary>
    /// SIGKILLs the controller (no cleanup of any kind, as a crash or an OOM kill) and forgets it, so
    /// a test that restarts it many times does not keep every dead process's output around.
    /// </summary>
    public async Task KillControllerAsync()
    {
        var controller = Controller ?? throw new InvalidOperationException("No controller is running.");
        controller.Kill();
        await controller.WaitForExitAsync(Patience);
        _processes.Remove(controller);
        await controller.DisposeAsync();
        Controller = null;
    }

    /// <param name="extraArguments">More proxy flags (e.g. "--tracing", "on").</param>
    public async Task StartProxyAsync(bool waitForConfig = true, params string[] extraArguments)
    {
        ProxyPort = FreePort.Next();
        ProxyAdminPort = FreePort.Next();
        ProxyHttpsPort = FreePort.Next();
        Proxy = Track(ChildProcess.Start("proxy", Binaries.Proxy,
            [
                "--channel", ChannelPath,
                "--address", "127.0.0.1",
                "--http-port", ProxyPort.ToString(),
                "--admin-port", ProxyAdminPort.ToString(),
                "--https-port", ProxyHttpsPort.ToString(),
                "--poll-interval-ms", "20",
                .. extraArguments,
            ]));
        await WaitUntilAsync(async () => (await TryGetStatusAsync(ProxyAdminPort, "/healthz")) == HttpStatusCode.OK,
            "proxy listening", Proxy);
        if (waitForConfig)
        {
            await WaitUntilAsync(async () => (await TryGetStatusAsync(ProxyAdminPort, "/readyz")) == HttpStatusCode.OK,
                "proxy ready", Proxy);
        }
    }

    /// <summary>The proxy's admin /config document.</summary>
    public async Task<JsonElement> ProxyConfigAsync()
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync($"http://127.0.0.1:{ProxyAdminPort}/config"));
        return document.RootElement.Clone();
    }

    /// <summary>Status of an admin endpoint, or null if nothing answers.</summary>
    public Task<HttpStatusCode?> AdminStatusAsync(int port, string path) => TryGetStatusAsync(port, path);

    /// <summary>The generation the proxy serves, from its admin endpoint.</summary>
    public async Task<long> ProxyGenerationAsync()
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync($"http://127.0.0.1:{ProxyAdminPort}/config"));
        return document.RootElement.GetProperty("generation").GetInt64();
    }

    /// <summary>Waits until the proxy serves a generation newer than <paramref name="previous"/>.</summary>
    public async Task<long> WaitForGenerationAfterAsync(long previous)
    {
        long current = previous;
        await WaitUntilAsync(async () => (current = await ProxyGenerationAsync()) > previous,
            $"a generation after {previous}", Proxy);
        return current;
    }

    public HttpRequestMessage Request(string host, string path, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"http://127.0.0.1:{ProxyPort}{path}");
        request.Headers.Host = host;
        return request;
    }

    /// <summary>Sends a request through the proxy; returns the status and, if an echo answered, its name.</summary>
    public async Task<(HttpStatusCode Status, string? Backend, string Body)> SendAsync(string host, string path, HttpClient? client = null)
    {
        using var response = await (client ?? Client).SendAsync(Request(host, path));
        var body = await response.Content.ReadAsStringAsync();
        var backend = response.Headers.TryGetValues("X-Echo-Name", out var names) ? names.First() : null;
        return (response.StatusCode, backend, body);
    }

    public async Task WaitUntilAsync(Func<Task<bool>> condition, string description, ChildProcess? owner = null)
    {
        // Cross-process state has no event to await; poll briefly with a deadline instead.
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (owner is not null && owner.HasExited)
            {
                throw new InvalidOperationException($"{owner.Name} exited while waiting for {description}. Output:\n{owner.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {description}.\n{Describe()}");
            }

            await Task.Delay(20);
        }
    }

    public string Describe()
        => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    private async Task<HttpStatusCode?> TryGetStatusAsync(int port, string path)
    {
        try
        {
            using var response = await Client.GetAsync($"http://127.0.0.1:{port}{path}");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
