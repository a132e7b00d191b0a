using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Gatehouse.Controller.Kubernetes.Models;

namespace Gatehouse.Controller.Translation;

/// <summary>
/// Reads an object's annotations under the configured prefix ("PREFIX/name"). Parsing failures are
/// reported by the caller as an invalid_annotation Diagnostic naming <see cref="FullName"/>; this type
/// only answers "absent", "present" or "present but unparsable".
/// </summary>
internal readonly struct AnnotationReader
{
    private readonly IReadOnlyDictionary<string, string>? _annotations;

    public AnnotationReader(ObjectMeta? metadata, string prefix)
    {
        _annotations = metadata?.Annotations;
        Prefix = prefix;
    }

    public string Prefix { get; }

    /// <summary>"PREFIX/name", for messages.</summary>
    public string FullName(string name) => $"{Prefix}/{name}";

    public bool TryGetString(string name, [NotNullWhen(true)] out string? value)
    {
        if (_annotations is not null && _annotations.TryGetValue(FullName(name), out var raw) && raw is not null)
        {
            value = raw.Trim();
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>ingress-nginx's boolean parsing: "true"/"false" in any case. Null when absent; throws <see cref="FormatException"/> when unparsable.</summary>
    public bool? GetBoolean(string name)
    {
        if (!TryGetString(name, out var raw))
        {
            return null;
        }

        return bool.TryParse(raw, out var value)
            ? value
            : throw new FormatException($"annotation {FullName(name)}: '{raw}' is not true or false");
    }

    /// <summary>Null when absent; throws <see cref="FormatException"/> when not an integer.</summary>
    public int? GetInt32(string name)
    {
        if (!TryGetString(name, out var raw))
        {
            return null;
        }

        return int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"annotation {FullName(name)}: '{raw}' is not an integer");
    }
}
