using Gatehouse.Model;

namespace Gatehouse.Controller.Translation;

/// <summary>The config to publish and everything that was left out of it (with reasons).</summary>
public sealed record TranslationResult(GatehouseConfig Config, IReadOnlyList<Diagnostic> Rejections);
