namespace Gatehouse.Controller.Events;

/// <summary>Used when there is no API server to write to (the manifests folder source): events only go to the log.</summary>
public sealed class NullEventRecorder : IEventRecorder
{
    public static NullEventRecorder Instance { get; } = new();

    public void Record(ObjectEvent objectEvent)
    {
    }
}
