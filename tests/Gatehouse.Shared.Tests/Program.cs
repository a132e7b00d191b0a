using Gatehouse.Model;
using Gatehouse.Tests.Golden;

namespace Gatehouse.Tests;

/// <summary>
/// The test runner never calls this (it loads the assembly through the test host). It exists for one
/// deliberate, manual job: creating the golden files of a newly shipped schema —
/// dotnet run --project tests/Gatehouse.Shared.Tests -- new-golden MAJOR.MINOR
/// (see tests/golden/README.md). Existing goldens are refused.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not ["new-golden", var versionText])
        {
            Console.Error.WriteLine("usage: dotnet run --project tests/Gatehouse.Shared.Tests -- new-golden MAJOR.MINOR");
            return 2;
        }

        var root = FindGoldenRoot(Directory.GetCurrentDirectory());
        if (root is null)
        {
            Console.Error.WriteLine("run from inside the repository (no Gatehouse.slnx found above the current directory)");
            return 2;
        }

        try
        {
            Console.Out.WriteLine(GoldenFiles.Create(root, SchemaVersion.Parse(versionText)));
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
    }

    private static string? FindGoldenRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gatehouse.slnx")))
            {
                return Path.Combine(directory.FullName, "tests", "golden");
            }
        }

        return null;
    }
}
