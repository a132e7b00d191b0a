namespace Gatehouse.Proxy.Http1;

/// <summary>Why a request was refused before it reached the application: the status to answer and a reason for the log.</summary>
internal readonly record struct Http1Rejection(int StatusCode, string Reason);
