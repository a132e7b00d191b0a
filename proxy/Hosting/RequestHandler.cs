using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Hosting;

/// <summary>
/// What the proxy's own HTTP/1.1 and HTTP/2 servers call for each request: a
/// <see cref="RequestDelegate"/> that answers with a <see cref="ValueTask"/>, so a request the
/// handler finishes later can complete on a reused box instead of a new Task. The server awaits or
/// reads the result exactly once.
/// </summary>
internal delegate ValueTask RequestHandler(HttpContext context);
