namespace Gatehouse.Controller.Translation.Upstream;

/// <summary>
/// Validates upstream-hash-by: literal text and the nginx variables the proxy can evaluate
/// ($request_uri, $host, $remote_addr, $http_NAME, $arg_NAME, $cookie_NAME), in any combination.
/// </summary>
internal static class HashKeyTemplate
{
    private static readonly string[] Plain = ["request_uri", "host", "remote_addr"];
    private static readonly string[] Prefixed = ["http_", "arg_", "cookie_"];

    /// <summary>Null when valid, else why not.</summary>
    public static string? Validate(string template)
    {
        var i = 0;
        var variables = 0;
        while (i < template.Length)
        {
            if (template[i] != '$')
            {
                i++;
                continue;
            }

            var start = ++i;
            var braced = i < template.Length && template[i] == '{';
            if (braced)
            {
                start = ++i;
            }

            while (i < template.Length && (char.IsAsciiLetterOrDigit(template[i]) || template[i] == '_'))
            {
                i++;
            }

            var name = template[start..i];
            if (braced)
            {
                if (i >= template.Length || template[i] != '}')
                {
                    return $"'${{{name}' is not closed";
                }

                i++;
            }

            var known = Array.IndexOf(Plain, name) >= 0
                || Prefixed.Any(p => name.Length > p.Length && name.StartsWith(p, StringComparison.Ordinal));
            if (!known)
            {
                return $"'${name}' is not one of $request_uri, $host, $remote_addr, $http_NAME, $arg_NAME, $cookie_NAME";
            }

            variables++;
        }

        return variables == 0 ? "it names no variable, so every request would hash alike" : null;
    }
}
