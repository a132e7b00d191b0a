using Microsoft.AspNetCore.Http;

namespace Gatehouse.Proxy.Telemetry;

/// <summary>
/// The method label: the standard methods by name, anything else as "_other", so a client
/// inventing methods cannot create label sets.
/// </summary>
internal static class MethodLabel
{
    public const int Other = 9;

    public static readonly string[] Names = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "_other"];

    /// <summary>Index into <see cref="Names"/>; Kestrel interns known methods, so these are reference checks first.</summary>
    public static int Index(string method)
    {
        if (HttpMethods.IsGet(method))
        {
            return 0;
        }

        if (HttpMethods.IsHead(method))
        {
            return 1;
        }

        if (HttpMethods.IsPost(method))
        {
            return 2;
        }

        if (HttpMethods.IsPut(method))
        {
            return 3;
        }

        if (HttpMethods.IsDelete(method))
        {
            return 4;
        }

        if (HttpMethods.IsPatch(method))
        {
            return 5;
        }

        if (HttpMethods.IsOptions(method))
        {
            return 6;
        }

        if (HttpMethods.IsConnect(method))
        {
            return 7;
        }

        return HttpMethods.IsTrace(method) ? 8 : Other;
    }
}
