using System.Text.Json.Serialization;

namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>What the two checksum kinds share; the subclasses only give the list and watch their types.</summary>
public abstract class CheckSumResource : KubernetesObject
{
    /// <summary>The group this controller reads by default; Tengine's group is accepted with --checksum-api-group.</summary>
    public const string DefaultGroup = "gatehouse.io";

    public const string TengineGroup = "tengine.taobao.org";

    public const string Version = "v1";

    [JsonPropertyName("spec")]
    public CheckSumSpec? Spec { get; set; }
}
