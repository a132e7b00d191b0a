namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>IngressCheckSum (gatehouse.io/v1 or tengine.taobao.org/v1): the expected ids and MD5 of the cluster's Ingresses.</summary>
public sealed class IngressCheckSum : CheckSumResource
{
    public const string KindName = "IngressCheckSum";

    public const string Plural = "ingresschecksums";
}
