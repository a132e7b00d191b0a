using System.Globalization;
using System.Text.Json;
using Gatehouse.Echo;

// A small backend for the quick start and the end-to-end tests: it answers every request with JSON
// naming itself and describing what it received, so a caller can see which backend a proxy chose.
var options = EchoOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: gatehouse-echo --port N [--name NAME] [--address 127.0.0.1]");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(System.Net.IPAddress.Parse(options.Address), options.Port);
});

var app = builder.Build();
app.Run(async context =>
{
    long bodyBytes = 0;
    var buffer = new byte[16 * 1024];
    int read;
    while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
    {
        bodyBytes += read;
    }

    if (context.Request.Query.TryGetValue("status", out var status)
        && int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
    {
        context.Response.StatusCode = code;
    }

    var headers = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    foreach (var header in context.Request.Headers)
    {
        headers[header.Key] = header.Value.ToString();
    }

    var reply = new EchoReply(
        options.Name,
        context.Request.Method,
        context.Request.Path.Value ?? "/",
        context.Request.QueryString.Value ?? "",
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "",
        context.Request.Protocol,
        $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}",
        bodyBytes,
        headers);

    context.Response.ContentType = "application/json";
    context.Response.Headers["X-Echo-Name"] = options.Name;
    await JsonSerializer.SerializeAsync(context.Response.Body, reply, EchoJsonContext.Default.EchoReply, context.RequestAborted);
});

Console.WriteLine($"gatehouse-echo '{options.Name}' listening on http://{options.Address}:{options.Port}");
await app.RunAsync();
return 0;
