namespace Gatehouse.Controller.Kubernetes.Models;

/// <summary>SecretCheckSum (gatehouse.io/v1 or tengine.taobao.org/v1): the expected ids and MD5 of the cluster's TLS Secrets.</summary>
public sealed class SecretCheckSum : CheckSumResource
{
    public const string KindName = "SecretCheckSum";

    public const string Plural = "secretchecksums";
}
