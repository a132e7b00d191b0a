using Gatehouse.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Proxy.Routing.Canary;

/// <summary>
/// Tengine's canary actions, applied to the incoming request before it is forwarded (the forwarder
/// copies headers and the raw target from it) and to the response just before its headers go out.
/// </summary>
internal sealed class CanaryActions
{
    private readonly HeaderValueConfig[] _requestAdd;
    private readonly HeaderValueConfig[] _requestAppend;
    private readonly string? _query;
    private readonly HeaderValueConfig[] _responseAdd;
    private readonly HeaderValueConfig[] _responseAppend;

    private CanaryActions(CanaryConfig config)
    {
        _requestAdd = [.. config.RequestAddHeaders];
        _requestAppend = [.. config.RequestAppendHeaders];
        _query = string.IsNullOrEmpty(config.RequestAddQuery) ? null : config.RequestAddQuery;
        _responseAdd = [.. config.ResponseAddHeaders];
        _responseAppend = [.. config.ResponseAppendHeaders];
    }

    public static CanaryActions? Create(CanaryConfig config)
        => config.RequestAddHeaders.IsEmpty && config.RequestAppendHeaders.IsEmpty && string.IsNullOrEmpty(config.RequestAddQuery)
            && config.ResponseAddHeaders.IsEmpty && config.ResponseAppendHeaders.IsEmpty
            ? null
            : new CanaryActions(config);

    public void Apply(HttpContext context)
    {
        var request = context.Request;
        foreach (var header in _requestAdd)
        {
            request.Headers[header.Name] = header.Value;
        }

        foreach (var header in _requestAppend)
        {
            request.Headers.Append(header.Name, header.Value);
        }

        if (_query is not null)
        {
            AddQuery(context, _query);
        }

        if (_responseAdd.Length != 0 || _responseAppend.Length != 0)
        {
            context.Response.OnStarting(static state =>
            {
                var (response, actions) = ((HttpResponse, CanaryActions))state;
                actions.ApplyToResponse(response);
                return Task.CompletedTask;
            }, (context.Response, this));
        }
    }

    private void ApplyToResponse(HttpResponse response)
    {
        foreach (var header in _responseAdd)
        {
            response.Headers[header.Name] = header.Value;
        }

        foreach (var header in _responseAppend)
        {
            response.Headers.Append(header.Name, header.Value);
        }
    }

    private static void AddQuery(HttpContext context, string query)
    {
        var request = context.Request;
        request.QueryString = request.QueryString.Add(new QueryString("?" + query));

        // The forwarder sends the raw target byte for byte, so the parameters are appended there too.
        if (context.Features.Get<IHttpRequestFeature>() is { RawTarget: { Length: > 0 } raw } feature && raw[0] == '/')
        {
            var fragment = raw.IndexOf('#', StringComparison.Ordinal);
            var target = fragment < 0 ? raw : raw[..fragment];
            feature.RawTarget = target + (target.Contains('?', StringComparison.Ordinal) ? (target.EndsWith('?') || target.EndsWith('&') ? "" : "&") : "?") + query;
        }
    }
}
