using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>Records every log line so tests can assert what (and how often) something was logged.</summary>
internal sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Lines.Enqueue((logLevel, formatter(state, exception)));

    public int Count(LogLevel level) => Lines.Count(l => l.Level == level);
}

/// <summary>Hands one <see cref="CapturingLogger"/> to the categories asked for (every level), nothing to the rest.</summary>
internal sealed class CapturingLoggerProvider(params string[] categories) : ILoggerProvider
{
    public CapturingLogger Logger { get; } = new();

    public ILogger CreateLogger(string categoryName)
        => categories.Contains(categoryName) ? Logger : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }
}
