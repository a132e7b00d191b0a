using System.Reflection;

namespace Gatehouse.Tests.EndToEnd.Infrastructure;

/// <summary>Finds the built Gatehouse programs next to this repository's sources.</summary>
internal static class Binaries
{
    private static readonly Lazy<string> RepositoryRoot = new(FindRepositoryRoot);

    public static string Root => RepositoryRoot.Value;

    public static string Controller => Locate("controller", "gatehouse-controller");

    public static string Proxy => Locate("proxy", "gatehouse-proxy");

    public static string Dump => Locate("shared/Gatehouse.Dump", "gatehouse-dump");

    public static string Echo => Locate("tests/Gatehouse.Echo", "gatehouse-echo");

    private static string Configuration =>
        typeof(Binaries).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string Locate(string projectFolder, string assemblyName)
    {
        var path = System.IO.Path.Combine(Root, projectFolder, "bin", Configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{assemblyName} is not built at {path}; build the solution first.", path);
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gatehouse.slnx not found above " + AppContext.BaseDirectory);
    }
}
