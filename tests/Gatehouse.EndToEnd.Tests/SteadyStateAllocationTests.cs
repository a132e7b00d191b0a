using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gatehouse.Tests.EndToEnd.Infrastructure;

namespace Gatehouse.Tests.EndToEnd;

/// <summary>
/// What a real proxy process allocates for each keep-alive request it forwards, read from its own
/// <c>gatehouse_process_allocated_bytes_total</c>. Garbage per request is CPU per request (allocation,
/// zeroing, collections); the forwarding path is built to reuse what it needs.
/// </summary>
public sealed partial class SteadyStateAllocationTests : IAsyncLifetime
{
    private const int Requests = 4000;

    private GatehouseStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = GatehouseStack.Create();
        await _stack.StartEchoIngressAsync("demo.example.com");
        await _stack.StartControllerAsync();
        await _stack.StartProxyAsync();
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_forwarded_keep_alive_request_allocates_almost_nothing()
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 });

        // Warm: the first requests JIT, fill the pools and make the connection to the backend.
        await SendAsync(client, 500);

        // A scrape allocates too (the page it renders): two scrapes with nothing between them give that
        // cost, which the measured window, also between two scrapes, then leaves out.
        var idleStart = await AllocatedAsync(client);
        var idleEnd = await AllocatedAsync(client);
        await SendAsync(client, Requests);
        var busyEnd = await AllocatedAsync(client);

        var perRequest = ((busyEnd - idleEnd) - (idleEnd - idleStart)) / Requests;

        // An async Task in the request handler alone cost 240 bytes a request; what is left is the
        // process's background (timers, the Date header's once-a-second string) spread over requests.
        Assert.True(perRequest < 64, $"{perRequest:F0} bytes allocated per forwarded request");
    }

    private async Task SendAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var request = _stack.Request("demo.example.com", "/steady");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.CopyToAsync(Stream.Null);
        }
    }

    private async Task<double> AllocatedAsync(HttpClient client)
    {
        var page = await client.GetStringAsync($"http://127.0.0.1:{_stack.ProxyAdminPort}/metrics");
        var match = AllocatedLine().Match(page);
        Assert.True(match.Success, "gatehouse_process_allocated_bytes_total is on /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^gatehouse_process_allocated_bytes_total (\S+)$", RegexOptions.Multiline)]
    private static partial Regex AllocatedLine();
}
