// A reference peer for bench/load/run.py, not product code: the cheapest HTTP/1.1 forwarder .NET can
// be on this machine. One thread, one epoll set, non-blocking sockets through P/Invoke, reads only
// when epoll reports data (no EAGAIN probe), no async machinery, no allocation per request.
// It forwards what the bench sends (bodiless requests, Content-Length responses) and nothing else.
// Its figure is the ceiling an owned event loop in the proxy could approach.
using Gatehouse.EpollCeiling;

var port = 19070;
var backendPort = 19001;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--backend-port": backendPort = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}

new EventLoop(port, backendPort).Run();
