namespace Gatehouse.Model;

/// <summary>A header name and value to add or append.</summary>
public sealed record HeaderValueConfig(string Name, string Value);
