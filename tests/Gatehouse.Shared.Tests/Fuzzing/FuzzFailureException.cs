namespace Gatehouse.Tests.Fuzzing;

/// <summary>Wraps a failing fuzz case so the test output leads with the seed needed to reproduce it.</summary>
internal sealed class FuzzFailureException(string message, Exception inner) : Exception(message, inner);
