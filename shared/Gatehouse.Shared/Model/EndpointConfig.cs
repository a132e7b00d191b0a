namespace Gatehouse.Model;

/// <summary>An IP address (v4 or v6, without brackets) and port.</summary>
public sealed record EndpointConfig(string Address, int Port)
{
    public override string ToString()
        => Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}
