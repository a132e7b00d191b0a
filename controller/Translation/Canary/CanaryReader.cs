using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Gatehouse.Controller.Translation.Upstream;
using Gatehouse.Model;

namespace Gatehouse.Controller.Translation.Canary;

/// <summary>
/// Reads and validates a canary Ingress's annotations into a <see cref="CanaryConfig"/> template (its
/// backend is filled in per path). Anything invalid rejects the whole canary with a reason: a canary
/// that half works would send users to a release nobody meant them to see.
/// </summary>
internal static class CanaryReader
{
    /// <summary>Regexes are compiled here only to validate them; the proxy compiles its own.</summary>
    private static readonly TimeSpan ValidationTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Null and no error when the Ingress is not a canary; a template when it is valid; an error (the
    /// Ingress must then serve nothing) when "canary" is unparsable or the canary is invalid.
    /// </summary>
    public static CanaryConfig? Read(AnnotationReader annotations, List<string> upstreamProblems, out string? error)
    {
        error = null;
        bool? isCanary;
        try
        {
            isCanary = annotations.GetBoolean(CanaryAnnotations.Canary);
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }

        if (isCanary != true)
        {
            return null;
        }

        try
        {
            return ReadCanary(annotations, upstreamProblems);
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    private static CanaryConfig ReadCanary(AnnotationReader a, List<string> upstreamProblems)
    {
        var header = NonEmpty(a, CanaryAnnotations.ByHeader);
        var headerValues = ReadList(a, CanaryAnnotations.ByHeaderValue);
        var headerPattern = NonEmpty(a, CanaryAnnotations.ByHeaderPattern);
        var cookie = NonEmpty(a, CanaryAnnotations.ByCookie);
        var cookieValues = ReadList(a, CanaryAnnotations.ByCookieValue);
        var query = NonEmpty(a, CanaryAnnotations.ByQuery);
        var queryValues = ReadList(a, CanaryAnnotations.ByQueryValue);

        Require(a, header, CanaryAnnotations.ByHeader, !headerValues.IsEmpty, CanaryAnnotations.ByHeaderValue);
        Require(a, header, CanaryAnnotations.ByHeader, headerPattern is not null, CanaryAnnotations.ByHeaderPattern);
        Require(a, cookie, CanaryAnnotations.ByCookie, !cookieValues.IsEmpty, CanaryAnnotations.ByCookieValue);
        Require(a, query, CanaryAnnotations.ByQuery, !queryValues.IsEmpty, CanaryAnnotations.ByQueryValue);

        if (header is not null && !UpstreamPolicyReader.IsToken(header))
        {
            throw Invalid(a, CanaryAnnotations.ByHeader, header, "is not a valid header name");
        }

        if (cookie is not null && !UpstreamPolicyReader.IsToken(cookie))
        {
            throw Invalid(a, CanaryAnnotations.ByCookie, cookie, "is not a valid cookie name");
        }

        // ingress-nginx: the value wins over the pattern, so a pattern next to a value is never used;
        // it is still validated, because a broken pattern is a mistake worth reporting.
        if (headerPattern is not null)
        {
            try
            {
                _ = new Regex(headerPattern, RegexOptions.CultureInvariant, ValidationTimeout);
            }
            catch (ArgumentException ex)
            {
                throw Invalid(a, CanaryAnnotations.ByHeaderPattern, headerPattern, "is not a valid regular expression: " + ex.Message);
            }
        }

        var divisor = ReadInt(a, CanaryAnnotations.ModDivisor) ?? 0;
        var modOperator = CanaryModOperator.Equal;
        var remainder = 0;
        if (a.TryGetString(CanaryAnnotations.ModDivisor, out var divisorText))
        {
            if (divisor is < 2 or > 100)
            {
                throw Invalid(a, CanaryAnnotations.ModDivisor, divisorText, "must be between 2 and 100");
            }

            if (header is null && cookie is null && query is null)
            {
                throw new FormatException($"annotation {a.FullName(CanaryAnnotations.ModDivisor)} needs {a.FullName(CanaryAnnotations.ByHeader)}, {a.FullName(CanaryAnnotations.ByCookie)} or {a.FullName(CanaryAnnotations.ByQuery)} to take the number from");
            }

            if (a.TryGetString(CanaryAnnotations.ModRelationalOperator, out var op))
            {
                modOperator = op switch
                {
                    "==" => CanaryModOperator.Equal,
                    ">" => CanaryModOperator.Greater,
                    ">=" => CanaryModOperator.GreaterOrEqual,
                    "<" => CanaryModOperator.Less,
                    "<=" => CanaryModOperator.LessOrEqual,
                    _ => throw Invalid(a, CanaryAnnotations.ModRelationalOperator, op, "is not one of ==, >, >=, <, <="),
                };
            }

            remainder = ReadInt(a, CanaryAnnotations.ModRemainder) ?? 0;
            if (remainder < 0 || remainder >= divisor)
            {
                throw Invalid(a, CanaryAnnotations.ModRemainder, remainder.ToString(CultureInfo.InvariantCulture), $"must be between 0 and the divisor minus one ({divisor - 1})");
            }
        }
        else if (a.TryGetString(CanaryAnnotations.ModRelationalOperator, out _) || a.TryGetString(CanaryAnnotations.ModRemainder, out _))
        {
            throw new FormatException($"annotations {a.FullName(CanaryAnnotations.ModRelationalOperator)} and {a.FullName(CanaryAnnotations.ModRemainder)} need {a.FullName(CanaryAnnotations.ModDivisor)}");
        }

        var total = ReadInt(a, CanaryAnnotations.WeightTotal) ?? 100;
        if (total < 1)
        {
            throw Invalid(a, CanaryAnnotations.WeightTotal, total.ToString(CultureInfo.InvariantCulture), "must be at least 1");
        }

        var weight = ReadInt(a, CanaryAnnotations.Weight) ?? 0;
        if (weight < 0 || weight > total)
        {
            throw Invalid(a, CanaryAnnotations.Weight, weight.ToString(CultureInfo.InvariantCulture), $"must be between 0 and canary-weight-total ({total})");
        }

        var addQuery = NonEmpty(a, CanaryAnnotations.RequestAddQuery);
        if (addQuery is not null)
        {
            ValidateQuery(a, addQuery);
        }

        return new CanaryConfig
        {
            Backend = "",
            Header = header,
            HeaderValues = headerValues,
            HeaderPattern = headerPattern,
            Cookie = cookie,
            CookieValues = cookieValues,
            Query = query,
            QueryValues = queryValues,
            ModDivisor = divisor,
            ModOperator = modOperator,
            ModRemainder = remainder,
            Weight = weight,
            WeightTotal = total,
            RequestAddHeaders = ReadHeaders(a, CanaryAnnotations.RequestAddHeader),
            RequestAppendHeaders = ReadHeaders(a, CanaryAnnotations.RequestAppendHeader),
            RequestAddQuery = addQuery,
            ResponseAddHeaders = ReadHeaders(a, CanaryAnnotations.ResponseAddHeader),
            ResponseAppendHeaders = ReadHeaders(a, CanaryAnnotations.ResponseAppendHeader),
            Upstream = UpstreamPolicyReader.Read(a, balancingOnly: true, upstreamProblems),
        };
    }

    private static void Require(AnnotationReader a, string? owner, string ownerName, bool dependentPresent, string dependentName)
    {
        if (owner is null && dependentPresent)
        {
            throw new FormatException($"annotation {a.FullName(dependentName)} needs {a.FullName(ownerName)}");
        }
    }

    private static string? NonEmpty(AnnotationReader a, string name)
        => a.TryGetString(name, out var value) && value.Length != 0 ? value : null;

    private static int? ReadInt(AnnotationReader a, string name)
        => a.TryGetString(name, out var text) && text.Length != 0 ? a.GetInt32(name) : null;

    private static ImmutableArray<string> ReadList(AnnotationReader a, string name)
    {
        if (NonEmpty(a, name) is not { } text)
        {
            return [];
        }

        var values = text.Split(CanaryAnnotations.ListSeparator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return values.Length == 0 ? throw Invalid(a, name, text, "lists no value") : [.. values];
    }

    /// <summary>"name:value||name:value".</summary>
    private static ImmutableArray<HeaderValueConfig> ReadHeaders(AnnotationReader a, string name)
    {
        if (NonEmpty(a, name) is not { } text)
        {
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<HeaderValueConfig>();
        foreach (var item in text.Split(CanaryAnnotations.ListSeparator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            var headerName = colon > 0 ? item[..colon].Trim() : "";
            var value = colon > 0 ? item[(colon + 1)..].Trim() : "";
            if (!UpstreamPolicyReader.IsToken(headerName))
            {
                throw Invalid(a, name, text, $"'{item}' is not name:value with a valid header name");
            }

            if (value.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw Invalid(a, name, text, $"the value of '{headerName}' contains a line break");
            }

            builder.Add(new HeaderValueConfig(headerName, value));
        }

        return builder.Count == 0 ? throw Invalid(a, name, text, "lists no header") : builder.DrainToImmutable();
    }

    private static void ValidateQuery(AnnotationReader a, string query)
    {
        foreach (var pair in query.Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || pair.Any(c => c <= ' ' || c >= 127 || c is '#' or '?'))
            {
                throw Invalid(a, CanaryAnnotations.RequestAddQuery, query, $"'{pair}' is not k=v (URL-encoded, separated by &)");
            }
        }
    }

    private static FormatException Invalid(AnnotationReader a, string name, string value, string why)
        => new($"annotation {a.FullName(name)}: '{value}' {why}");
}
