namespace Gatehouse.Controller.Events;

/// <summary>The Event's type field: "Normal" or "Warning".</summary>
public enum EventSeverity
{
    Normal,
    Warning,
}
