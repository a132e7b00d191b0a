using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// The whole path with real processes: manifests folder → controller → memory-mapped channel →
/// proxy → echo backends.
/// </summary>
public sealed class SpineTests : IAsyncLifetime
{
    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoAsync("echo-a", "echo-b");
        _stack.WriteManifest("class.yaml", Manifests.IngressClass);
        _stack.WriteManifest("services.yaml",
            Manifests.Service("svc-a", _stack.EchoPort("echo-a")) + "\n---\n" + Manifests.Service("svc-b", _stack.EchoPort("echo-b")));
        _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", "demo.example.com",
            ("/", "Prefix", "svc-a"),
            ("/api", "Prefix", "svc-b"),
            ("/exact", "Exact", "svc-b")));
        await _stack.StartControllerAsync();
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Requests_route_per_the_manifests()
    {
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/")));
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/api/items?x=1")));
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/apiary")));
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/exact")));
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/exact/more")));
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("DEMO.example.com:8080", "/api")));

        var (status, backend, _) = await _stack.SendAsync("other.example.com", "/");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(backend);
    }

    [Fact]
    public async Task Echo_sees_the_request_as_the_client_sent_it_plus_forwarding_headers()
    {
        var (_, _, body) = await _stack.SendAsync("demo.example.com", "/api/a%20b?q=1&r=two");
        using var echo = JsonDocument.Parse(body);
        Assert.Equal("/api/a%20b?q=1&r=two", echo.RootElement.GetProperty("rawTarget").GetString());
        var headers = echo.RootElement.GetProperty("headers");
        Assert.Equal("demo.example.com", headers.GetProperty("Host").GetString());
        Assert.Equal("127.0.0.1", headers.GetProperty("X-Forwarded-For").GetString());
        Assert.Equal("http", headers.GetProperty("X-Forwarded-Proto").GetString());
        Assert.Equal("demo.example.com", headers.GetProperty("X-Forwarded-Host").GetString());
    }

    [Fact]
    public async Task Editing_the_folder_changes_routing_live()
    {
        var before = await _stack.ProxyGenerationAsync();
        _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", "demo.example.com",
            ("/", "Prefix", "svc-b"),
            ("/new", "Exact", "svc-a")));
        await _stack.WaitForGenerationAfterAsync(before);

        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/")));
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/new")));
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/exact")));

        // Deleting the Ingress removes the host.
        before = await _stack.ProxyGenerationAsync();
        _stack.DeleteManifest("ingress.yaml");
        await _stack.WaitForGenerationAfterAsync(before);
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync("demo.example.com", "/")).Status);
    }

    [Fact]
    public async Task A_keep_alive_connection_opened_before_a_change_keeps_serving_after_it()
    {
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler);

        Assert.Equal("echo-a", (await _stack.SendAsync("demo.example.com", "/", client)).Backend);

        var before = await _stack.ProxyGenerationAsync();
        _stack.WriteManifest("ingress.yaml", Manifests.Ingress("web", "demo.example.com", ("/", "Prefix", "svc-b")));
        await _stack.WaitForGenerationAfterAsync(before);

        for (var i = 0; i < 20; i++)
        {
            var (status, backend, _) = await _stack.SendAsync("demo.example.com", "/", client);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("echo-b", backend);
        }

        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task An_invalid_manifest_leaves_everything_else_serving()
    {
        var before = await _stack.ProxyGenerationAsync();
        _stack.WriteManifest("broken.yaml", "this: is: not: yaml: [");
        _stack.WriteManifest("bad-ingress.yaml", Manifests.Ingress("bad", "bad.example.com", ("no-leading-slash", "Prefix", "svc-a")));
        _stack.WriteManifest("more.yaml", Manifests.Ingress("more", "more.example.com", ("/", "Prefix", "svc-b")));
        await _stack.WaitForGenerationAfterAsync(before);

        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("more.example.com", "/")));
        Assert.Equal((HttpStatusCode.OK, "echo-a"), Pick(await _stack.SendAsync("demo.example.com", "/")));
        Assert.Equal(HttpStatusCode.NotFound, (await _stack.SendAsync("bad.example.com", "/")).Status);
        await _stack.Controller!.WaitForLineAsync("broken.yaml", GatehouseStack.Patience);
    }

    [Fact]
    public async Task The_dump_tool_shows_what_the_proxy_serves()
    {
        var generation = await _stack.ProxyGenerationAsync();
        await using var dump = ChildProcess.Start("dump", Binaries.Dump, _stack.ChannelPath, "--json");
        Assert.Equal(0, await dump.WaitForExitAsync(GatehouseStack.Patience));
        using var json = JsonDocument.Parse(dump.Output);
        Assert.Equal(generation, json.RootElement.GetProperty("header").GetProperty("generation").GetInt64());
        var hosts = json.RootElement.GetProperty("config").GetProperty("hosts").EnumerateArray()
            .Select(h => h.GetProperty("host").GetString()).ToArray();
        Assert.Contains("demo.example.com", hosts);
    }

    [Fact]
    public async Task A_proxy_started_on_an_existing_file_serves_without_the_controller()
    {
        _stack.Controller!.Kill();
        await _stack.Controller.WaitForExitAsync(GatehouseStack.Patience);
        var first = _stack.ProxyPort;
        await _stack.StartProxyAsync();
        Assert.NotEqual(first, _stack.ProxyPort);
        Assert.Equal((HttpStatusCode.OK, "echo-b"), Pick(await _stack.SendAsync("demo.example.com", "/api")));
    }

    private static (HttpStatusCode, string?) Pick((HttpStatusCode Status, string? Backend, string Body) r) => (r.Status, r.Backend);
}
