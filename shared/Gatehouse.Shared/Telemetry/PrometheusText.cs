using System.Globalization;
using System.Text;

namespace Gatehouse.Telemetry;

/// <summary>Naming, escaping and number rules of the Prometheus text format 0.0.4.</summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Replaces every character outside [a-zA-Z0-9_:] by '_' and keeps the name from starting with a digit.</summary>
    public static string MetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>Like <see cref="MetricName"/> without ':', which Prometheus reserves for metric names.</summary>
    public static string LabelName(string name) => Sanitize(name, allowColon: false);

    /// <summary>Counters are exposed with a "_total" suffix, as Prometheus and OpenMetrics expect.</summary>
    public static string CounterName(string name)
    {
        var sanitized = MetricName(name);
        return sanitized.EndsWith("_total", StringComparison.Ordinal) ? sanitized : sanitized + "_total";
    }

    public static void AppendLabelValue(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append(@"\n"); break;
                default: text.Append(c); break;
            }
        }
    }

    public static void AppendHelp(StringBuilder text, string help)
    {
        foreach (var c in help)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '\n': text.Append(@"\n"); break;
                default: text.Append(c); break;
            }
        }
    }

    public static void AppendNumber(StringBuilder text, double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            text.Append("+Inf");
        }
        else if (double.IsNegativeInfinity(value))
        {
            text.Append("-Inf");
        }
        else if (double.IsNaN(value))
        {
            text.Append("NaN");
        }
        else
        {
            // "R": the shortest text that parses back to the same double, in the invariant culture.
            text.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    public static void AppendNumber(StringBuilder text, long value)
        => text.Append(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>How a tag value becomes a label value: invariant culture, lower-case booleans, null as empty.</summary>
    public static string LabelValue(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        var valid = !char.IsAsciiDigit(name[0]);
        foreach (var c in name)
        {
            valid &= IsNameChar(c, allowColon);
        }

        if (valid)
        {
            return name;
        }

        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (var c in name)
        {
            builder.Append(IsNameChar(c, allowColon) ? c : '_');
        }

        return builder.ToString();
    }

    private static bool IsNameChar(char c, bool allowColon)
        => char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':');
}
